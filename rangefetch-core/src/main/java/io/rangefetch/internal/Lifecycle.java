package io.rangefetch.internal;

import io.rangefetch.ByteRange;
import io.rangefetch.DownloadState;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The state machine of one download: its {@link DownloadState}, why its run must stop, and
 * whether a run holds a slot. Every transition is a method that says what the caller must do
 * next; the machine itself does no I/O, so it is tested without HTTP. Thread-safe: one lock,
 * which the download's workers also wait on (back-off, end game) so that a stop wakes them.
 *
 * <p>Lock order: the downloader's {@link DownloadScheduler} lock before this one, never after.
 */
final class Lifecycle {
  /**
   * Why the workers of a run must stop. CANCEL overrides the others; CLOSE (the downloader is
   * closing) overrides PAUSE.
   */
  enum Stop { NONE, PAUSE, CANCEL, FAIL, CLOSE }

  /** What {@link #resume} asks of the caller. */
  enum Resume {
    /** Nothing: not paused, or the run that is pausing goes on by itself. */
    NOTHING,
    /** The pause never reached a run: let requests go out again. */
    UNDO_PAUSE,
    /** Hand the download to the scheduler again. */
    SUBMIT
  }

  /** What {@link #stop} asks of the caller. */
  enum Stopping {
    /** The download has ended already. */
    NOTHING,
    /** No run holds the download: end it now. */
    END_NOW,
    /** A run holds it: abort its requests; the run ends it. */
    ABORT_RUN
  }

  /** The events that must be posted in the order of the transitions, under the lock. */
  interface Events {
    void paused();

    void resumed();
  }

  private final String id;
  private final Events events;

  // Guarded by this; volatile so that workers poll it without the lock.
  private volatile Stop stop = Stop.NONE;
  // Guarded by this.
  private DownloadState state = DownloadState.QUEUED;
  // Guarded by this.
  private @Nullable FetchFailure failure;
  // Guarded by this.
  private @Nullable ByteRange failedRange;
  // Guarded by this: true from the scheduler's dispatch until the run has ended.
  private boolean dispatched;
  // Guarded by this: resume() called while a pause was still stopping the workers.
  private boolean resumeRequested;

  Lifecycle(String id, Events events) {
    this.id = id;
    this.events = events;
  }

  synchronized DownloadState state() {
    return state;
  }

  Stop stop() {
    return stop;
  }

  boolean stopping() {
    return stop != Stop.NONE;
  }

  synchronized boolean isTerminal() {
    return state.isTerminal();
  }

  /** Moves to {@code next} unless the download has ended. */
  synchronized void moveTo(DownloadState next) {
    if (!state.isTerminal()) {
      state = next;
    }
  }

  /** Ends the download in {@code end}; false if it had ended already. */
  synchronized boolean end(DownloadState end) {
    if (state.isTerminal()) {
      return false;
    }
    state = end;
    return true;
  }

  // ---- pause and resume ----

  /**
   * First step of a pause.
   *
   * @return false when there is nothing to do: paused, or pausing
   * @throws IllegalStateException if the download has ended
   */
  synchronized boolean wantsPause() {
    checkNotTerminal("paused");
    return state != DownloadState.PAUSED && stop != Stop.PAUSE;
  }

  /** The download was taken from the scheduler's queue before it ran: it is paused. */
  synchronized void pausedWhileWaiting() {
    state = DownloadState.PAUSED;
    events.paused();
  }

  /**
   * Asks the run to pause, also one that is being handed to the scheduler (it sees the pause
   * as it starts).
   *
   * @return true if the caller must abort the requests in flight
   */
  synchronized boolean stopForPause() {
    checkNotTerminal("paused");
    if (stop != Stop.NONE) {
      return false;
    }
    stop = Stop.PAUSE;
    resumeRequested = false;
    notifyAll();
    return true;
  }

  /** @throws IllegalStateException if the download has ended */
  synchronized Resume resume() {
    checkNotTerminal("resumed");
    if (stop == Stop.PAUSE && dispatched) {
      resumeRequested = true;
      return Resume.NOTHING;
    }
    if (stop == Stop.PAUSE && state == DownloadState.QUEUED) {
      stop = Stop.NONE;
      return Resume.UNDO_PAUSE;
    }
    if (state != DownloadState.PAUSED) {
      return Resume.NOTHING;
    }
    state = DownloadState.QUEUED;
    stop = Stop.NONE;
    events.resumed();
    return Resume.SUBMIT;
  }

  /**
   * The run that paused has stopped its workers. Enters PAUSED, unless a cancel or the
   * downloader's closing came meanwhile.
   *
   * @return the stop in force: PAUSE when paused (see {@link #resumesAtOnce}), else CANCEL or
   *     CLOSE, which the caller ends the download with
   */
  synchronized Stop runPaused() {
    Stop now = stop;
    if (now == Stop.CANCEL || now == Stop.CLOSE) {
      return now;
    }
    state = DownloadState.PAUSED;
    events.paused();
    if (resumeRequested) {
      resumeRequested = false;
      state = DownloadState.QUEUED;
      stop = Stop.NONE;
      resumeAtOnce = true;
      events.resumed();
    } else {
      // From here resume() submits the download afresh; the slot is released right after.
      dispatched = false;
    }
    return now;
  }

  // Guarded by this: set by runPaused when a resume came during the pause.
  private boolean resumeAtOnce;

  /** Whether the last {@link #runPaused} went on at once because of a resume; clears it. */
  synchronized boolean resumesAtOnce() {
    boolean again = resumeAtOnce;
    resumeAtOnce = false;
    return again;
  }

  // ---- cancel, close, fail ----

  /** Stops the download for {@code reason} (CANCEL or CLOSE). */
  synchronized Stopping stop(Stop reason) {
    if (state.isTerminal()) {
      return Stopping.NOTHING;
    }
    if (!dispatched) {
      return Stopping.END_NOW;
    }
    // A cancel overrides every other reason; closing overrides only a pause.
    if (reason == Stop.CANCEL || stop == Stop.NONE || stop == Stop.PAUSE) {
      stop = reason;
      notifyAll();
    }
    return Stopping.ABORT_RUN;
  }

  /**
   * Records the failure that stops the run, unless it is stopping already.
   *
   * @return true if this failure stops it; the caller aborts the requests in flight
   */
  synchronized boolean fail(FetchFailure f, @Nullable ByteRange range) {
    if (stop != Stop.NONE) {
      return false;
    }
    stop = Stop.FAIL;
    failure = f;
    failedRange = range;
    notifyAll();
    return true;
  }

  synchronized @Nullable FetchFailure failure() {
    return failure;
  }

  synchronized @Nullable ByteRange failedRange() {
    return failedRange;
  }

  /**
   * After a failure because the file changed on the server, clears it so that the run starts
   * over from the probe.
   *
   * @return true if the run starts over
   */
  synchronized boolean clearChangedFailure() {
    if (stop != Stop.FAIL || failure == null
        || failure.reason() != io.rangefetch.DownloadException.Reason.RESOURCE_CHANGED) {
      return false;
    }
    stop = Stop.NONE;
    failure = null;
    failedRange = null;
    return true;
  }

  // ---- runs ----

  synchronized void dispatched() {
    dispatched = true;
  }

  synchronized void runEnded() {
    dispatched = false;
  }

  /**
   * Waits up to {@code nanos}, or until the run must stop.
   *
   * @return true if the run goes on
   */
  synchronized boolean await(long nanos) {
    long deadline = System.nanoTime() + nanos;
    try {
      while (stop == Stop.NONE) {
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (left <= 0) {
          break;
        }
        wait(left);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
    return stop == Stop.NONE;
  }

  /**
   * Waits up to {@code nanos} for a change a worker might act on ({@link #wake}), or until the
   * run must stop. A spurious return only costs the caller a look.
   *
   * @return true if the run goes on
   */
  synchronized boolean awaitChange(long nanos) {
    long millis = Math.max(1, TimeUnit.NANOSECONDS.toMillis(nanos));
    if (stop == Stop.NONE) {
      try {
        wait(millis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return stop == Stop.NONE;
  }

  /** Wakes the workers waiting in {@link #awaitChange}: work was done, or came back. */
  synchronized void wake() {
    notifyAll();
  }

  private void checkNotTerminal(String verb) {
    if (state.isTerminal()) {
      throw new IllegalStateException("download " + id + " is "
          + state.name().toLowerCase(Locale.ROOT) + " and cannot be " + verb
          + "; start it again to download it once more");
    }
  }
}
