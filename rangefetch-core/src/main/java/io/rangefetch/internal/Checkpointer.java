package io.rangefetch.internal;

import io.rangefetch.ByteRange;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records finished chunks, off the workers' path, in two tiers. The {@link LiveRecord} lists
 * each chunk as soon as it is written, without forcing anything, which is enough when only the
 * process dies. A checkpoint forces the part file to disk, then replaces the control file,
 * which is what survives a power loss. Checkpoints start at most once per interval, the first
 * one interval after the first chunk finishes; one runs at a time, and chunks that finish
 * meanwhile go into the next, so a worker never waits for the disk. Thread-safe.
 */
final class Checkpointer {
  private static final Logger LOG = LoggerFactory.getLogger(Checkpointer.class);

  private final Path target;
  private final PartFile part;
  private final ControlFile header;
  private final SerialDrain checkpoints;
  private final LiveRecord live;
  private final Object lock = new Object();
  // Held while the control file is written, after the part file was forced: close() takes it
  // to be sure that no checkpoint writes the control file once the download has ended.
  private final Object fileLock = new Object();
  // Guarded by lock.
  private RangeSet recorded;
  // Guarded by lock.
  private final List<ByteRange> pending = new ArrayList<>();
  // Guarded by lock: a checkpoint is being written.
  private boolean saving;
  // Guarded by lock; read under fileLock too (with lock) before the control file is written.
  private boolean closed;
  // Guarded by lock: warn about a failing disk once, not per chunk.
  private boolean warned;

  /**
   * @param header the control file's fixed fields; its {@code done} list is ignored
   * @param recorded what the control file on disk says is done already
   * @param executor where checkpoints run
   * @param timer what starts a checkpoint once its interval has passed; it only hands the
   *     checkpoint to {@code executor}
   * @param interval the least time between two checkpoints; zero for one as soon as a chunk
   *     finishes
   */
  Checkpointer(Path target, PartFile part, ControlFile header, RangeSet recorded,
      Executor executor, ScheduledExecutorService timer, Duration interval) {
    this.target = target;
    this.part = part;
    this.header = header;
    this.recorded = recorded.copy();
    this.live = new LiveRecord(target, recorded, executor);
    this.checkpoints = SerialDrain.paced("checkpoints of " + target, executor, timer, interval,
        this::checkpointPending);
  }

  /**
   * Writes the control file with nothing done, without forcing anything to disk, so that a
   * crash before the first checkpoint leaves a part file that a new run of the same URL takes
   * as its own. Call it before the first chunk finishes, for a part file that starts empty.
   */
  void claim() {
    save(new RangeSet(), false);
  }

  /**
   * Notes that {@code chunk} is written: the live record lists it soon, the next checkpoint
   * durably.
   */
  void completed(ByteRange chunk) {
    live.completed(chunk);
    synchronized (lock) {
      if (closed) {
        return;
      }
      pending.add(chunk);
    }
    checkpoints.request();
  }

  // One at a time, at most once per interval (the drain's): takes every chunk finished before.
  private void checkpointPending() {
    List<ByteRange> batch;
    RangeSet next;
    synchronized (lock) {
      awaitSaving(); // a recordNow() under way: its record is the base of this one
      if (closed || pending.isEmpty()) {
        return;
      }
      batch = new ArrayList<>(pending);
      pending.clear();
      next = recorded.copy();
      saving = true;
    }
    batch.forEach(next::add);
    boolean saved = save(next, true);
    synchronized (lock) {
      saving = false;
      if (saved) {
        recorded = next;
      }
      lock.notifyAll();
    }
  }

  /**
   * Waits for a running checkpoint, then records exactly {@code done} on this thread, at once
   * whatever the interval. A checkpoint that was due is dropped, and the live record deleted:
   * {@code done} covers both.
   */
  void recordNow(RangeSet done) {
    synchronized (lock) {
      awaitSaving();
      pending.clear(); // a due checkpoint finds nothing to do
      saving = true;
    }
    boolean saved = save(done, true);
    if (saved) {
      live.discard();
    }
    // The next checkpoint one interval from now. Before the chunks finished meanwhile are
    // looked at: one whose ask joined the checkpoint dropped here is seen below.
    checkpoints.ranNow();
    boolean more;
    synchronized (lock) {
      if (saved) {
        recorded = done.copy();
      }
      saving = false;
      lock.notifyAll();
      more = !closed && !pending.isEmpty();
    }
    if (more) {
      checkpoints.request();
    }
  }

  /**
   * Drops a due checkpoint and takes no more. A checkpoint forcing the part file meanwhile is
   * not waited for (a completed download would wait for nothing it needs); it then writes no
   * control file and logs nothing. Waits only for a control file being written, so that the
   * caller may delete it.
   */
  void close() {
    synchronized (lock) {
      closed = true;
      pending.clear();
    }
    checkpoints.close();
    synchronized (fileLock) {
      // Any write of the control file from here on sees closed.
    }
    live.close();
  }

  /**
   * Whether any range was ever recorded, durably or in the live record, so that the part file
   * is worth keeping.
   */
  boolean hasRecorded() {
    synchronized (lock) {
      if (recorded.bytes() > 0) {
        return true;
      }
    }
    return live.listsAny();
  }

  // Called with lock held.
  private void awaitSaving() {
    boolean interrupted = false;
    while (saving) {
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

  /**
   * Writes the control file listing {@code done}; {@code durable} forces the part file first,
   * so that every range listed is on disk, and the control file itself.
   */
  private boolean save(RangeSet done, boolean durable) {
    try {
      if (durable && !isClosed()) {
        part.force();
      }
      synchronized (fileLock) {
        if (isClosed()) {
          return false;
        }
        new ControlFile(header.url(), header.finalUrl(), header.size(), header.etag(),
            header.lastModified(), header.chunkBytes(), done.list()).write(target, durable);
      }
      return true;
    } catch (IOException e) {
      synchronized (lock) {
        // After close, the part file may be renamed or deleted under a forcing checkpoint.
        if (!warned && !closed) {
          warned = true;
          LOG.warn("could not record progress of {} in its control file ({}); a crash would"
              + " lose it, the download goes on", target, e.getMessage());
        }
      }
      return false;
    }
  }

  private boolean isClosed() {
    synchronized (lock) {
      return closed;
    }
  }
}
