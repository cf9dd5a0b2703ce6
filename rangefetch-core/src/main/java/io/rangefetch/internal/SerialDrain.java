package io.rangefetch.internal;

import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one task on an executor whenever it is asked to, never two runs at once: asks that come
 * while a run is queued join it, and asks that come while it runs make it run once more. The
 * task takes whatever its owner queued meanwhile (events, finished chunks, changed downloads),
 * so one hand-off serves a burst of asks, and a caller never waits for the work.
 *
 * <p>A paced drain also keeps its runs at least a gap apart, start to start, and the first run
 * comes one gap after the first ask: for work that is cheaper done at a bounded rate (a
 * checkpoint forces the file to disk). A delayed drain starts every run one gap after the ask
 * that queued it, so the asks of a burst always go together (a status push, a journal write).
 * Their timer only hands the run over to the executor.
 *
 * <p>When the executor refuses the run (it was shut down), the ask is dropped: the owners close
 * with it, and record what they must on their own way out. Thread-safe.
 *
 * <p>Public only for the server module, which queues its own disk writes and pushes with it; not
 * API.
 */
public final class SerialDrain {
  private static final Logger LOG = LoggerFactory.getLogger(SerialDrain.class);

  private enum State { IDLE, QUEUED, RUNNING, RUNNING_AGAIN, CLOSED }

  private final String name;
  private final Executor executor;
  private final @Nullable ScheduledExecutorService timer;
  private final long gapNanos;
  // The delayed kind: each run one gap after the ask that queued it, not after the last start.
  private final boolean gapAfterAsk;
  private final Runnable task;
  private final Object lock = new Object();
  // Guarded by lock.
  private State state = State.IDLE;
  // Guarded by lock: System.nanoTime() of the last run's start, or of the first ask before any
  // run; valid once paced.
  private long lastStart;
  // Guarded by lock.
  private boolean paced;
  // Guarded by lock: the timer's hand-off of the queued run, to cancel it.
  private @Nullable Future<?> due;

  private SerialDrain(String name, Executor executor, @Nullable ScheduledExecutorService timer,
      Duration gap, boolean gapAfterAsk, Runnable task) {
    this.name = name;
    this.gapAfterAsk = gapAfterAsk;
    this.executor = executor;
    this.timer = timer;
    // Saturates: a gap past 292 years is as good as never.
    this.gapNanos = gap.compareTo(Duration.ofNanos(Long.MAX_VALUE)) >= 0
        ? Long.MAX_VALUE : gap.toNanos();
    this.task = task;
  }

  /**
   * A drain that runs {@code task} as soon as it is asked to.
   *
   * @param name what the log calls it when the task throws
   */
  public static SerialDrain immediate(String name, Executor executor, Runnable task) {
    return new SerialDrain(name, executor, null, Duration.ZERO, false, task);
  }

  /**
   * A drain whose runs start at least {@code gap} apart, the first one {@code gap} after the
   * first ask.
   *
   * @param name what the log calls it when the task throws
   * @param executor where the task runs
   * @param timer what starts a run once its time has come; it only hands the run to
   *     {@code executor}
   * @param gap the least time from one run's start to the next; zero for no pacing
   */
  public static SerialDrain paced(String name, Executor executor, ScheduledExecutorService timer,
      Duration gap, Runnable task) {
    return new SerialDrain(name, executor, timer, gap, false, task);
  }

  /**
   * A drain whose every run starts {@code gap} after the ask that queued it: asks made
   * meanwhile join that run.
   *
   * @param name what the log calls it when the task throws
   * @param executor where the task runs
   * @param timer what starts a run once its time has come; it only hands the run to
   *     {@code executor}
   * @param gap how long an ask waits for others to join it
   */
  public static SerialDrain delayed(String name, Executor executor,
      ScheduledExecutorService timer, Duration gap, Runnable task) {
    return new SerialDrain(name, executor, timer, gap, true, task);
  }

  /** Has the task run once more, after what was asked of it so far. */
  public void request() {
    long delay;
    synchronized (lock) {
      switch (state) {
        case IDLE -> {
          state = State.QUEUED;
          delay = delayNanos(System.nanoTime());
        }
        case RUNNING -> {
          state = State.RUNNING_AGAIN;
          return;
        }
        default -> {
          return; // queued, or to run again, already; or closed
        }
      }
    }
    submit(delay);
  }

  /**
   * Counts now as the start of a run, for a paced drain whose owner just did the work itself: a
   * run waiting for its time is dropped, and the next one starts one gap from now.
   */
  public void ranNow() {
    synchronized (lock) {
      paced = true;
      lastStart = System.nanoTime();
      if (state == State.QUEUED && cancelDue()) {
        state = State.IDLE;
      }
    }
  }

  /** Takes no more asks; a queued run does not start. A run under way ends as it will. */
  public void close() {
    synchronized (lock) {
      state = State.CLOSED;
      cancelDue();
    }
  }

  // Called with lock held: whether a run waiting on the timer was stopped before its time.
  private boolean cancelDue() {
    Future<?> pending = due;
    due = null;
    return pending != null && pending.cancel(false);
  }

  // Called with lock held.
  private long delayNanos(long now) {
    if (gapNanos == 0 || gapAfterAsk) {
      return gapNanos;
    }
    if (!paced) {
      paced = true; // the first run waits one gap too: the asks of a burst go together
      lastStart = now;
    }
    return Math.max(0, gapNanos - (now - lastStart));
  }

  private void submit(long delayNanos) {
    try {
      if (delayNanos <= 0 || timer == null) {
        executor.execute(this::run);
        return;
      }
      Future<?> handOver = timer.schedule(this::handOver, delayNanos, TimeUnit.NANOSECONDS);
      synchronized (lock) {
        if (state == State.QUEUED) {
          due = handOver;
        } else {
          handOver.cancel(false); // closed meanwhile
        }
      }
    } catch (RejectedExecutionException e) {
      dropQueued();
    }
  }

  // On the timer's thread, which may serve many drains: the work goes to the executor.
  private void handOver() {
    try {
      executor.execute(this::run);
    } catch (RejectedExecutionException e) {
      dropQueued();
    }
  }

  private void dropQueued() {
    synchronized (lock) {
      if (state == State.QUEUED) {
        state = State.IDLE;
      }
    }
  }

  private void run() {
    while (true) {
      long wait;
      synchronized (lock) {
        if (state != State.QUEUED) {
          return; // dropped by ranNow(), or closed, meanwhile
        }
        due = null;
        long now = System.nanoTime();
        wait = paced && !gapAfterAsk ? gapNanos - (now - lastStart) : 0;
        if (wait <= 0) {
          state = State.RUNNING;
          lastStart = now;
        }
      }
      if (wait > 0) {
        submit(wait); // ranNow() moved this run's time on
        return;
      }
      try {
        task.run();
      } catch (RuntimeException | Error e) {
        // The owner's bug: log it, and the asks after it still get their run.
        LOG.error("{}: a run failed", name, e);
      }
      long delay;
      synchronized (lock) {
        if (state != State.RUNNING_AGAIN) {
          if (state == State.RUNNING) {
            state = State.IDLE;
          }
          return;
        }
        state = State.QUEUED;
        delay = delayNanos(System.nanoTime());
      }
      if (delay > 0) {
        submit(delay);
        return;
      }
    }
  }
}
