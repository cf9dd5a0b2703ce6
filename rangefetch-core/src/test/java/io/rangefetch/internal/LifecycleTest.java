package io.rangefetch.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rangefetch.DownloadException.Reason;
import io.rangefetch.DownloadState;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The state machine of a download, without a server: every transition and what it asks for. */
class LifecycleTest {
  private final List<String> events = new ArrayList<>();
  private final Lifecycle lifecycle = new Lifecycle("d1", new Lifecycle.Events() {
    @Override
    public void paused() {
      events.add("paused");
    }

    @Override
    public void resumed() {
      events.add("resumed");
    }
  });

  @Test
  void pauseOfAWaitingDownloadPausesItAtOnce() {
    assertTrue(lifecycle.wantsPause());
    lifecycle.pausedWhileWaiting();

    assertEquals(DownloadState.PAUSED, lifecycle.state());
    assertFalse(lifecycle.wantsPause(), "a second pause does nothing");
    assertEquals(Lifecycle.Resume.SUBMIT, lifecycle.resume());
    assertEquals(DownloadState.QUEUED, lifecycle.state());
    assertEquals(List.of("paused", "resumed"), events);
  }

  @Test
  void pauseOfARunStopsItsWorkersAndTheRunEntersPaused() {
    lifecycle.dispatched();
    lifecycle.moveTo(DownloadState.DOWNLOADING);

    assertTrue(lifecycle.stopForPause(), "abort the requests");
    assertTrue(lifecycle.stopping());
    assertFalse(lifecycle.stopForPause(), "already stopping");
    assertEquals(Lifecycle.Stop.PAUSE, lifecycle.runPaused());

    assertEquals(DownloadState.PAUSED, lifecycle.state());
    assertFalse(lifecycle.resumesAtOnce());
    assertEquals(List.of("paused"), events);
  }

  @Test
  void resumeWhileThePauseIsStoppingTheRunGoesOnRightAfter() {
    lifecycle.dispatched();
    lifecycle.stopForPause();

    assertEquals(Lifecycle.Resume.NOTHING, lifecycle.resume());
    lifecycle.runPaused();

    assertTrue(lifecycle.resumesAtOnce());
    assertEquals(DownloadState.QUEUED, lifecycle.state());
    assertFalse(lifecycle.stopping());
    assertEquals(List.of("paused", "resumed"), events);
  }

  @Test
  void resumeOfAPauseNoRunSawUndoesIt() {
    // paused while being handed to the scheduler: state still QUEUED, not dispatched
    lifecycle.stopForPause();

    assertEquals(Lifecycle.Resume.UNDO_PAUSE, lifecycle.resume());
    assertFalse(lifecycle.stopping());
    assertEquals(List.of(), events);
  }

  @Test
  void cancelOverridesAPauseAndThePausedRunEndsCancelled() {
    lifecycle.dispatched();
    lifecycle.stopForPause();

    assertEquals(Lifecycle.Stopping.ABORT_RUN, lifecycle.stop(Lifecycle.Stop.CANCEL));
    assertEquals(Lifecycle.Stop.CANCEL, lifecycle.runPaused());
    assertTrue(lifecycle.end(DownloadState.CANCELLED));
    assertFalse(lifecycle.end(DownloadState.FAILED), "one end only");
  }

  @Test
  void closingDoesNotOverrideACancel() {
    lifecycle.dispatched();
    lifecycle.stop(Lifecycle.Stop.CANCEL);

    lifecycle.stop(Lifecycle.Stop.CLOSE);

    assertEquals(Lifecycle.Stop.CANCEL, lifecycle.stop());
  }

  @Test
  void stopOfADownloadNoRunHoldsEndsItNow() {
    assertEquals(Lifecycle.Stopping.END_NOW, lifecycle.stop(Lifecycle.Stop.CANCEL));
    lifecycle.end(DownloadState.CANCELLED);
    assertEquals(Lifecycle.Stopping.NOTHING, lifecycle.stop(Lifecycle.Stop.CANCEL));
    assertThrows(IllegalStateException.class, lifecycle::wantsPause);
    assertThrows(IllegalStateException.class, lifecycle::resume);
  }

  @Test
  void firstFailureWinsAndAStoppingRunIgnoresLaterOnes() {
    lifecycle.dispatched();
    FetchFailure first = FetchFailure.fatal(Reason.DISK, "disk full");

    assertTrue(lifecycle.fail(first, null));
    assertFalse(lifecycle.fail(FetchFailure.fatal(Reason.NETWORK, "later"), null));

    assertEquals(first, lifecycle.failure());
    assertFalse(lifecycle.clearChangedFailure(), "only a changed file starts over");
  }

  @Test
  void changedFileClearsTheFailureToStartOver() {
    lifecycle.dispatched();
    lifecycle.fail(FetchFailure.fatal(Reason.RESOURCE_CHANGED, "ETag changed"), null);

    assertTrue(lifecycle.clearChangedFailure());
    assertFalse(lifecycle.stopping());
    assertEquals(null, lifecycle.failure());
  }

  @Test
  void awaitReturnsAtOnceWhenTheRunStops() {
    lifecycle.dispatched();
    lifecycle.stopForPause();

    assertFalse(lifecycle.await(60_000_000_000L), "a stopped run does not wait a minute");
  }
}
