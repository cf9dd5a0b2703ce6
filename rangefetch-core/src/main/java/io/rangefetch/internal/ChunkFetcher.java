package io.rangefetch.internal;

import io.rangefetch.ByteRange;
import io.rangefetch.DownloadException.Reason;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.function.BooleanSupplier;
import org.apache.hc.core5.http.HttpEntity;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;

/**
 * Fetches one chunk: a ranged GET whose 206 must carry exactly the range asked for and the
 * same version of the file, streamed into the part file at the chunk's offset. Anything else is
 * never written. Thread-safe; each call uses the caller's buffer.
 */
final class ChunkFetcher {
  private final CloseableHttpClient client;
  private final Requests requests;
  private final InFlight inFlight;

  ChunkFetcher(CloseableHttpClient client, Requests requests, InFlight inFlight) {
    this.client = client;
    this.requests = requests;
    this.inFlight = inFlight;
  }

  /**
   * Fetches {@code want} of {@code uri} into {@code file}. Bytes reach {@code sink} as they are
   * written, so after a failure the caller knows where to resume.
   *
   * @throws FetchFailure on any failure; bytes already reported stay valid
   */
  void fetch(URI uri, ByteRange want, Validators expected, PartFile file, WorkerBuffer buffer,
      WorkerBuffer.Sink sink, BooleanSupplier stopped) throws FetchFailure {
    String what = Requests.describe(uri, want);
    try (InFlight.Open open = inFlight.execute(client, requests.ranged(uri, want, expected.ifRange()))) {
      try {
        check(open, want, expected, what);
      } catch (FetchFailure e) {
        open.abort();
        throw e;
      }
      readBody(open, want, file, buffer, sink, stopped, what);
    } catch (IOException | RuntimeException e) {
      throw FailureClassifier.classify(e, what);
    }
  }

  private static void check(InFlight.Open open, ByteRange want, Validators expected, String what)
      throws FetchFailure {
    int code = open.code();
    String etag = Prober.header(open.response, "ETag");
    String lastModified = Prober.header(open.response, "Last-Modified");
    String change = expected.change(etag, lastModified);
    if (code == 200 && change == null && expected.sameVersion(etag, lastModified)) {
      // Same ETag or Last-Modified: If-Range matched, yet the server sent everything.
      throw FetchFailure.retryable(Reason.SERVER_MISBEHAVED, what + " returned 200 with the"
          + " same version of the file: the server ignored the range this time; nothing of it"
          + " was written", null);
    }
    if (code == 200 || code == 416 || (code == 206 && change != null)) {
      throw FetchFailure.fatal(Reason.RESOURCE_CHANGED, what + " returned " + code
          + (code == 206 ? " of another version" : ", not 206")
          + ": the file changed on the server during the download"
          + (change == null ? "" : " (" + change + ")") + "; nothing of it was written");
    }
    if (code != 206) {
      throw FailureClassifier.forStatus(open.response, what);
    }
    String header = Prober.header(open.response, "Content-Range");
    ContentRange range = ContentRange.parse(header).orElseThrow(() -> FetchFailure.retryable(
        Reason.SERVER_MISBEHAVED, what + " returned 206 with an unusable Content-Range \""
            + header + "\"; nothing of it was written", null));
    if (range.total() >= 0 && range.total() != expected.size()) {
      throw FetchFailure.fatal(Reason.RESOURCE_CHANGED, what + " says the file is now "
          + range.total() + " bytes, not " + expected.size()
          + ": the file changed on the server during the download; nothing of it was written");
    }
    if (!want.equals(range.range())) {
      throw FetchFailure.retryable(Reason.SERVER_MISBEHAVED, what + " returned Content-Range \""
          + header + "\", not the range asked for; nothing of it was written", null);
    }
    long length = Prober.contentLength(open.response);
    if (length >= 0 && length != want.length()) {
      throw FetchFailure.retryable(Reason.SERVER_MISBEHAVED, what + " returned Content-Length "
          + length + " for a range of " + want.length() + " bytes; nothing of it was written", null);
    }
  }

  /**
   * Streams the body of a checked 206 for {@code want} into the file.
   *
   * @throws FetchFailure if the body ends early or fails; what arrived is reported to the sink
   */
  static void readBody(InFlight.Open open, ByteRange want, PartFile file, WorkerBuffer buffer,
      WorkerBuffer.Sink sink, BooleanSupplier stopped, String what) throws IOException {
    HttpEntity entity = open.response.getEntity();
    if (entity == null) {
      throw FetchFailure.retryable(Reason.SERVER_MISBEHAVED, what + " returned 206 without a body", null);
    }
    InputStream in = entity.getContent();
    long copied = buffer.copy(in, file, want.first(), want.length(), sink, stopped);
    if (copied < want.length()) {
      open.abort();
      if (stopped.getAsBoolean()) {
        throw new IOException("stopped");
      }
      throw FetchFailure.retryable(Reason.NETWORK, what + ": the body ended after " + copied
          + " of " + want.length() + " bytes; asking again for the rest", null);
    }
    if (entity.getContentLength() < 0) {
      // Without a length the connection can only be reused once the body ended; if the server
      // sends more than the range, drop the connection rather than read garbage.
      if (in.read() != -1) {
        open.abort();
      }
    }
  }
}
