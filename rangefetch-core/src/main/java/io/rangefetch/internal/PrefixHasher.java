package io.rangefetch.internal;

import io.rangefetch.ByteRange;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.jspecify.annotations.Nullable;

/**
 * Computes digests of a part file (SHA-256, and what else a server's digest header needs) while
 * it is being written, in one read of each byte: it hashes the contiguous
 * prefix from offset 0 as it grows, reading it back from the page cache on its own thread, so
 * that by the time the last chunk arrives little is left to hash. Chunks arrive nearly in
 * order (the queue hands them out in order), so the prefix trails the download closely.
 * Thread-safe.
 */
final class PrefixHasher {
  private static final long BACKGROUND_BYTES = 1 << 20;
  private final FileChannel channel;
  private final Executor executor;
  // Touched only by the one thread that hashes at a time (the running flag).
  private final Map<String, MessageDigest> digests = new LinkedHashMap<>();
  private final Object lock = new Object();
  // Guarded by lock: the ranges written so far.
  private final RangeSet written;
  // Guarded by lock: bytes [0, hashed) are in the digest.
  private long hashed;
  // Guarded by lock.
  private boolean running;
  // Guarded by lock.
  private @Nullable IOException failure;

  /** @param onDisk ranges already written before this hasher existed, e.g. by an earlier run */
  PrefixHasher(FileChannel channel, RangeSet onDisk, Executor executor, Set<String> algorithms) {
    this.channel = channel;
    for (String algorithm : algorithms) {
      digests.put(algorithm, newDigest(algorithm));
    }
    this.written = onDisk.copy();
    this.executor = executor;
  }

  /**
   * Notes that {@code range} is written; hashing moves on in the background once at least
   * {@link #BACKGROUND_BYTES} of the prefix wait for it. Less is left to {@link #finish}: a small
   * file is hashed there at once, without a hand-off to another thread.
   */
  void written(ByteRange range) {
    synchronized (lock) {
      written.add(range);
      if (running || failure != null || contiguousEnd() - hashed < BACKGROUND_BYTES) {
        return;
      }
      running = true;
    }
    try {
      executor.execute(this::catchUp);
    } catch (RejectedExecutionException e) {
      synchronized (lock) {
        running = false;
      }
    }
  }

  private static MessageDigest newDigest(String algorithm) {
    try {
      return MessageDigest.getInstance(algorithm);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has " + algorithm, e);
    }
  }

  /**
   * Hashes what is left up to {@code size} and returns the digests, by algorithm.
   *
   * @throws IOException if reading the file failed, or bytes before {@code size} are missing
   */
  Map<String, byte[]> finish(long size) throws IOException {
    synchronized (lock) {
      while (running) {
        try {
          lock.wait();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted while hashing", e);
        }
      }
      if (failure != null) {
        throw failure;
      }
      if (size > 0 && !written.contains(new ByteRange(0, size - 1))) {
        throw new IOException("bytes are missing before offset " + size + ": " + written);
      }
      running = true;
    }
    try {
      hashUpTo(size);
      Map<String, byte[]> result = new LinkedHashMap<>();
      digests.forEach((algorithm, digest) -> result.put(algorithm, digest.digest()));
      return result;
    } finally {
      synchronized (lock) {
        running = false;
        lock.notifyAll();
      }
    }
  }

  private void catchUp() {
    try {
      while (true) {
        long end;
        synchronized (lock) {
          end = contiguousEnd();
          if (end <= hashed) {
            running = false;
            lock.notifyAll();
            return;
          }
        }
        hashUpTo(end);
      }
    } catch (IOException e) {
      synchronized (lock) {
        failure = e;
        running = false;
        lock.notifyAll();
      }
    }
  }

  // Called with lock held.
  private long contiguousEnd() {
    for (ByteRange r : written.list()) {
      return r.first() == 0 ? r.last() + 1 : 0;
    }
    return 0;
  }

  /** Reads [hashed, end) into the digest; only one thread at a time, by the running flag. */
  private void hashUpTo(long end) throws IOException {
    ByteBuffer b = WorkerBuffer.ofThisThread().scratch();
    long position;
    synchronized (lock) {
      position = hashed;
    }
    while (position < end) {
      b.clear().limit((int) Math.min(b.capacity(), end - position));
      int n = channel.read(b, position);
      if (n < 0) {
        throw new IOException("the part file ends at " + position + ", before " + end);
      }
      b.flip();
      for (MessageDigest digest : digests.values()) {
        b.rewind();
        digest.update(b);
      }
      position += n;
      synchronized (lock) {
        hashed = position;
      }
    }
  }
}
