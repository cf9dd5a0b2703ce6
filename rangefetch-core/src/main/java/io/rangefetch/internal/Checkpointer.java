package io.rangefetch.internal;

import io.rangefetch.ByteRange;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records finished chunks in the control file, off the workers' path: it forces the part file
 * to disk, then replaces the control file. One checkpoint runs at a time; chunks that finish
 * meanwhile go into the next, so a worker never waits for the disk. Thread-safe.
 */
final class Checkpointer {
  private static final Logger LOG = LoggerFactory.getLogger(Checkpointer.class);

  private final Path target;
  private final PartFile part;
  private final ControlFile header;
  private final Executor executor;
  private final Object lock = new Object();
  // Guarded by lock.
  private RangeSet recorded;
  // Guarded by lock.
  private final List<ByteRange> pending = new ArrayList<>();
  // Guarded by lock: a checkpoint is being written.
  private boolean running;
  // Guarded by lock.
  private boolean closed;
  // Guarded by lock: warn about a failing disk once, not per chunk.
  private boolean warned;

  /**
   * @param header the control file's fixed fields; its {@code done} list is ignored
   * @param recorded what the control file on disk says is done already
   */
  Checkpointer(Path target, PartFile part, ControlFile header, RangeSet recorded,
      Executor executor) {
    this.target = target;
    this.part = part;
    this.header = header;
    this.recorded = recorded.copy();
    this.executor = executor;
  }

  /** Notes that {@code chunk} is written; it is recorded by the next checkpoint. */
  void completed(ByteRange chunk) {
    synchronized (lock) {
      if (closed) {
        return;
      }
      pending.add(chunk);
      if (!running) {
        running = true;
        executor.execute(this::drain);
      }
    }
  }

  private void drain() {
    while (true) {
      List<ByteRange> batch;
      RangeSet next;
      synchronized (lock) {
        if (pending.isEmpty()) {
          running = false;
          lock.notifyAll();
          return;
        }
        batch = new ArrayList<>(pending);
        pending.clear();
        next = recorded.copy();
      }
      batch.forEach(next::add);
      boolean saved = save(next);
      synchronized (lock) {
        if (saved) {
          recorded = next;
        }
      }
    }
  }

  /** Waits for a running checkpoint, then records exactly {@code done}, on this thread. */
  void recordNow(RangeSet done) {
    synchronized (lock) {
      awaitIdle();
      pending.clear();
      running = true;
    }
    boolean saved = save(done);
    synchronized (lock) {
      if (saved) {
        recorded = done.copy();
      }
      running = false;
      lock.notifyAll();
    }
  }

  /** Waits for a running checkpoint and takes no more. */
  void close() {
    synchronized (lock) {
      closed = true;
      pending.clear();
      awaitIdle();
    }
  }

  /** Whether any range was ever recorded, so that the part file is worth keeping. */
  boolean hasRecorded() {
    synchronized (lock) {
      return recorded.bytes() > 0;
    }
  }

  // Called with lock held.
  private void awaitIdle() {
    boolean interrupted = false;
    while (running) {
      try {
        lock.wait();
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private boolean save(RangeSet done) {
    try {
      part.force();
      new ControlFile(header.url(), header.finalUrl(), header.size(), header.etag(),
          header.lastModified(), header.chunkBytes(), done.list()).write(target);
      return true;
    } catch (IOException e) {
      synchronized (lock) {
        if (!warned) {
          warned = true;
          LOG.warn("could not record progress of {} in its control file ({}); a crash would"
              + " lose it, the download goes on", target, e.getMessage());
        }
      }
      return false;
    }
  }
}
