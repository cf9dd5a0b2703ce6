package io.rangefetch.internal;

import io.rangefetch.ByteRange;
import io.rangefetch.DownloadException.Reason;
import java.io.IOException;
import java.io.InputStream;

/**
 * Copies the body of a checked {@code 206} into the part file through the worker's buffer,
 * claiming each piece from its {@link Lease} before writing it: bytes that another request of
 * a race already wrote are skipped, and the copy stops where the lease now ends, which is
 * earlier than the body when another connection took over the tail.
 */
final class BodyCopier {
  /** Hears of each piece the copy wrote, and of each read, to act between two of them. */
  interface Progress {
    /** {@code n} bytes of {@code lease} reached the file at {@code position}. */
    void written(Lease lease, long position, int n);

    /** A piece was read and handled; the body goes on to {@code bodyEnd} (exclusive). */
    default void read(long position, long bodyEnd) throws IOException {}

    /**
     * Waits until the next read may take place, under the download's rate limits, and says
     * how many of {@code wanted} bytes it may read.
     */
    default int admit(int wanted) throws IOException {
      return wanted;
    }

    /** {@code bytes} admitted were not read: the body ended first. */
    default void unused(int bytes) {}
  }

  private BodyCopier() {}

  /**
   * Copies {@code body} (the bytes {@code served}) into {@code file} for {@code lease}.
   *
   * @return where the copy stopped: the end of {@code served} (exclusive) when the whole body
   *     was read, or earlier when the lease ended first and the rest of the body is unread
   * @throws FetchFailure if the body ends early (what arrived is written and counted), or from
   *     the file
   * @throws IOException from the stream or from {@code progress}
   */
  static long copy(InputStream body, ByteRange served, Lease lease, PartFile file,
      WorkerBuffer buffer, Progress progress, String what) throws IOException {
    long position = served.first();
    long bodyEnd = served.last() + 1;
    while (position < bodyEnd) {
      if (lease.fullyClaimed()) {
        return position;
      }
      // Drawn from the rate limits before reading: a limited download leaves the rest in the
      // socket, and TCP slows the server down.
      int allowed = progress.admit((int) Math.min(WorkerBuffer.BYTES, bodyEnd - position));
      int n = buffer.fill(body, allowed);
      if (n < allowed) {
        progress.unused(n < 0 ? allowed : allowed - n);
      }
      if (n < 0) {
        throw FetchFailure.retryable(Reason.NETWORK, what + ": the body ended after "
            + (position - served.first()) + " of " + served.length()
            + " bytes; asking again for the rest", null);
      }
      Lease.Claim claim = lease.claim(position, n);
      if (claim.length() > 0) {
        buffer.writeTo(file, (int) (claim.from() - position), claim.length(), claim.from());
        progress.written(lease, claim.from(), claim.length());
      }
      position += n;
      progress.read(position, bodyEnd);
    }
    return position;
  }

  /** Reads and drops what is left of a body, to keep its connection for the next request. */
  static void drain(InputStream body, WorkerBuffer buffer, long bytes) throws IOException {
    long left = bytes;
    while (left > 0) {
      int n = buffer.fill(body, (int) Math.min(Integer.MAX_VALUE, left));
      if (n < 0) {
        return;
      }
      left -= n;
    }
  }
}
