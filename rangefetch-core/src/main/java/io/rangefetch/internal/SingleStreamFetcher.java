package io.rangefetch.internal;

import io.rangefetch.DownloadException.Reason;
import java.io.IOException;
import java.io.InputStream;
import java.util.function.BooleanSupplier;
import org.apache.hc.core5.http.HttpEntity;

/**
 * Reads a whole file as one stream, for servers that do not serve ranges or give no length:
 * from offset 0, until the announced length, or until the end of a body without one.
 */
final class SingleStreamFetcher {
  private SingleStreamFetcher() {}

  /**
   * Copies the body of a 200 response into the file from offset 0.
   *
   * @param size the announced length, or -1
   * @param maxBytes the file size ceiling
   * @return the bytes written: the size of the file
   * @throws IOException if the body fails, is shorter than announced, or grows past the ceiling
   */
  static long read(InFlight.Open open, long size, long maxBytes, PartFile file,
      WorkerBuffer buffer, WorkerBuffer.Sink sink, BooleanSupplier stopped, String what)
      throws IOException {
    HttpEntity entity = open.response.getEntity();
    if (entity == null) {
      return 0;
    }
    InputStream in = entity.getContent();
    long limit = size >= 0 ? size : maxBytes + 1;
    long copied = buffer.copy(in, file, 0, limit, sink, stopped);
    if (stopped.getAsBoolean()) {
      open.abort();
      throw new IOException("stopped");
    }
    if (size < 0 && copied > maxBytes) {
      open.abort();
      throw FetchFailure.fatal(Reason.TOO_LARGE, what + " sent more than " + maxBytes
          + " bytes, the most a file may have (Limits.maxFileBytes); raise the limit to download it");
    }
    if (size >= 0 && copied < size) {
      open.abort();
      throw FetchFailure.retryable(Reason.NETWORK, what + ": the body ended after " + copied
          + " of " + size + " bytes; the server does not serve ranges, so it starts over", null);
    }
    return copied;
  }
}
