package io.rangefetch.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.function.BooleanSupplier;

/**
 * The one buffer a worker copies through: read from the response into it, write it to the
 * file at an offset. One per thread of the engine's pools, kept for the thread's life, so that
 * nothing is allocated per read, nor per download: a server running a thousand small downloads
 * would otherwise allocate (and zero) a buffer for each. Not thread-safe: only the thread that
 * owns it uses it ({@link #ofThisThread}).
 */
final class WorkerBuffer {
  static final int BYTES = 256 * 1024;
  private static final ThreadLocal<WorkerBuffer> OWN = ThreadLocal.withInitial(WorkerBuffer::new);

  private final byte[] bytes = new byte[BYTES];
  private final ByteBuffer buffer = ByteBuffer.wrap(bytes);

  private WorkerBuffer() {}

  /**
   * Returns the calling thread's buffer. A thread runs one task at a time, and each task uses
   * the buffer only while it runs, so tasks of different downloads can share it.
   */
  static WorkerBuffer ofThisThread() {
    return OWN.get();
  }

  /** Returns the buffer for other bulk copies on this thread (reading the part file back). */
  ByteBuffer scratch() {
    return buffer.clear();
  }

  /** Hears of each write, after it reached the file, and paces the reads. */
  interface Sink {
    void written(long position, int bytes);

    /** Waits until the next read may take place; how many of {@code wanted} bytes, or -1. */
    default int admit(int wanted) {
      return wanted;
    }

    /** {@code bytes} admitted were not read. */
    default void unused(int bytes) {}
  }

  /**
   * Copies up to {@code limit} bytes of {@code in} into {@code file} from {@code position}.
   *
   * @return the bytes copied; fewer than {@code limit} means the stream ended
   * @throws IOException from the stream; a {@link FetchFailure} of reason DISK from the file
   */
  long copy(InputStream in, PartFile file, long position, long limit, Sink sink,
      BooleanSupplier stopped) throws IOException {
    long copied = 0;
    while (copied < limit && !stopped.getAsBoolean()) {
      int want = sink.admit((int) Math.min(bytes.length, limit - copied));
      if (want < 0) {
        break; // stopped while waiting
      }
      int filled = 0;
      // Fill the buffer before writing: fewer, larger writes.
      while (filled < want) {
        int n = in.read(bytes, filled, want - filled);
        if (n < 0) {
          break;
        }
        filled += n;
        if (n == 0 || in.available() == 0) {
          break;
        }
      }
      if (filled < want) {
        sink.unused(want - filled);
      }
      if (filled == 0) {
        return copied;
      }
      buffer.clear().limit(filled);
      file.write(buffer, position + copied);
      sink.written(position + copied, filled);
      copied += filled;
    }
    return copied;
  }

  /**
   * Reads up to {@code max} bytes of {@code in} into the buffer, more than one read when the
   * stream has them at hand: fewer, larger writes.
   *
   * @return the bytes read, or -1 at the end of the stream
   */
  int fill(InputStream in, int max) throws IOException {
    int want = Math.min(bytes.length, max);
    int filled = 0;
    while (filled < want) {
      int n = in.read(bytes, filled, want - filled);
      if (n < 0) {
        return filled == 0 ? -1 : filled;
      }
      filled += n;
      if (n == 0 || in.available() == 0) {
        break;
      }
    }
    return filled;
  }

  /** Writes {@code length} bytes of the buffer, from {@code offset}, at {@code position}. */
  void writeTo(PartFile file, int offset, int length, long position) throws FetchFailure {
    buffer.clear().position(offset).limit(offset + length);
    file.write(buffer, position);
  }
}
