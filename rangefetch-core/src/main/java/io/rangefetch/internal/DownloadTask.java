package io.rangefetch.internal;

import io.rangefetch.DownloadHandle;
import io.rangefetch.DownloadListener;
import io.rangefetch.DownloadRequest;
import io.rangefetch.DownloadResult;
import io.rangefetch.DownloadState;
import io.rangefetch.DownloadStatus;
import io.rangefetch.DownloadUrls;
import io.rangefetch.RangeSupport;
import io.rangefetch.SourceStatus;
import java.net.URI;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * One download as its caller sees it: the handle, its status and its controls. Thread-safe.
 * The runs that fetch it are its {@link RunCoordinator}'s.
 *
 * <p>A run starts when the downloader's {@link DownloadScheduler} gives the task a slot and ends
 * when all its workers have stopped: complete, paused, cancelled or failed. The thread of the
 * run (the coordinator) sends the first request; a ranged file then goes to a
 * {@link ChunkRun}, whose scheduler spreads it over the connections, and a file without
 * ranges to a {@link SingleStreamRun}. The state machine is {@link Lifecycle}; the files are
 * {@link RunFiles}.
 */
final class DownloadTask implements DownloadHandle {
  // Shared with the coordinator (same package): final, or volatile and written by it only.
  private final String id;
  private final DownloadRequest request;
  private final URI uri;
  final DownloadEngine engine;
  final InFlight inFlight = new InFlight();
  final Sources sources;
  final SourceControl sourceControl;
  final EventDispatcher events;
  final Lifecycle lifecycle;
  final RunFiles files;
  final CompletableFuture<DownloadResult> resultFuture = new CompletableFuture<>();
  private final StateWaiters waiters = new StateWaiters();
  final int maxThreads;
  final long chunkBytes;
  final AtomicLong bytesDone = new AtomicLong();
  final AtomicInteger streamThreads = new AtomicInteger();
  final SpeedMeter speed = new SpeedMeter();
  final TransferCounters counters = new TransferCounters();
  final ProgressTicker ticker;
  final DownloadTraffic traffic;
  private final RunCoordinator coordinator;

  // Written by the coordinator, read by anyone.
  volatile URI finalUri;
  volatile long size = -1;
  volatile RangeSupport ranges = RangeSupport.UNKNOWN;
  volatile @Nullable ChunkRun chunkRun;

  DownloadTask(String id, DownloadRequest request, DownloadEngine engine) {
    this.id = id;
    this.request = request;
    this.engine = engine;
    this.uri = DownloadUrls.redact(request.uri());
    this.finalUri = uri;
    this.sources = new Sources(request, engine.routes().of(request.proxy().orElse(null)));
    List<DownloadListener> listeners = new ArrayList<>(engine.settings().listeners());
    listeners.add(request.listener());
    this.events = new EventDispatcher(this, List.copyOf(listeners), engine.callbackExecutor());
    this.lifecycle = new Lifecycle(id, new Lifecycle.Events() {
      @Override
      public void paused() {
        events.post((l, d) -> l.downloadPaused(d));
        events.run(() -> waiters.paused(status()));
      }

      @Override
      public void resumed() {
        events.post((l, d) -> l.downloadResumed(d));
        events.run(() -> waiters.running(status()));
      }
    });
    // After the last event: a pause or resume still waiting learns that it never will be.
    resultFuture.whenComplete((result, failure) -> events.run(() -> waiters.ended(status())));
    SourceCheck check = new SourceCheck(engine, inFlight);
    this.sourceControl = new SourceControl(sources,
        new SourceFailures(id, this, sources, check, request.urlRefresher(), this::sourceChanged),
        new MirrorChecks(id, sources, check),
        new UriReplacement(id, sources.main(), check, this::sourceChanged));
    this.files = new RunFiles(id, uri.toString(), request, engine, why -> {
      sources.main().noted(why);
      sourceChanged(sources.main().status(false));
    });
    this.maxThreads = Math.min(request.threads().orElse(Integer.MAX_VALUE),
        engine.settings().limits().maxThreads());
    this.chunkBytes = Math.min(request.chunkBytes().orElse(Long.MAX_VALUE),
        engine.settings().limits().maxBytesPerThread());
    this.traffic = engine.traffic(request.maxBytesPerSecond());
    this.ticker = new ProgressTicker(engine.timer(),
        engine.settings().progressInterval().toNanos(), bytesDone::get, this::activeThreads,
        speed, () -> {
          sources.sample(System.nanoTime());
          DownloadStatus now = status();
          events.post((l, d) -> l.progress(d, now));
        });
    this.coordinator = new RunCoordinator(this);
  }

  // ---- DownloadHandle ----

  @Override
  public String id() {
    return id;
  }

  @Override
  public DownloadRequest request() {
    return request;
  }

  @Override
  public Optional<Path> file() {
    return Optional.ofNullable(files.file());
  }

  @Override
  public URI uri() {
    return uri;
  }

  @Override
  public DownloadStatus status() {
    DownloadState now = lifecycle.state();
    boolean moving = now == DownloadState.DOWNLOADING || now == DownloadState.PROBING;
    return new DownloadStatus(now, finalUri, size, ranges, moving ? activeThreads() : 0,
        maxThreads, chunkBytes, bytesDone.get(), moving ? speed.bytesPerSecond() : 0,
        Instant.now(), counters.snapshot(), traffic.limitInForce(),
        moving ? traffic.hostAllowance(finalUri) : -1, sources.statuses(moving));
  }

  private void sourceChanged(SourceStatus source) {
    events.post((l, d) -> l.sourceChanged(d, source));
  }

  @Override
  public void replaceMirrors(List<URI> mirrors) {
    // Among themselves only: a new URL given just before may not be taken yet, and the old one
    // may stay as a mirror.
    List<URI> checked = DownloadUrls.checkMirrors(null, mirrors);
    if (lifecycle.isTerminal()) {
      throw new IllegalStateException("download " + id + " is " + lifecycle.state()
          + "; mirrors apply to a running, paused or queued download only");
    }
    sources.replaceMirrors(checked); // checked by the workers between two connections
  }

  @Override
  public void replaceUri(URI uri) {
    URI fresh = DownloadUrls.check(Objects.requireNonNull(uri, "uri"));
    if (lifecycle.isTerminal()) {
      throw new IllegalStateException("download " + id + " is " + lifecycle.state()
          + "; a new URL applies to a running, paused or queued download only");
    }
    // A running download's workers check it between two connections; else the next run does.
    sourceControl.replacement().offer(fresh);
    lifecycle.wake();
  }

  @Override
  public void limitRate(long bytesPerSecond) {
    traffic.limit(Rates.check("limitRate", bytesPerSecond));
  }

  private int activeThreads() {
    ChunkRun run = chunkRun;
    return run != null ? run.scheduler.activeRequests() : streamThreads.get();
  }

  @Override
  public CompletableFuture<DownloadResult> result() {
    // A copy: what a caller does to it (complete, obtrude) cannot change the download's outcome.
    CompletableFuture<DownloadResult> copy = new CompletableFuture<>();
    resultFuture.whenComplete((result, failure) -> {
      if (failure instanceof CancellationException) {
        copy.cancel(false);
      } else if (failure != null) {
        copy.completeExceptionally(failure);
      } else {
        copy.complete(result);
      }
    });
    return copy;
  }

  @Override
  public CompletableFuture<DownloadStatus> pause() {
    boolean start = lifecycle.wantsPause(); // throws if the download has ended
    CompletableFuture<DownloadStatus> paused = waiters.untilPaused();
    if (!start) {
      // Paused already, or pausing: the pause under way completes it.
      if (lifecycle.state() == DownloadState.PAUSED || lifecycle.isTerminal()) {
        paused.complete(status());
      }
      return paused;
    }
    if (engine.scheduler().removeWaiting(this)) {
      lifecycle.pausedWhileWaiting();
      return paused;
    }
    if (lifecycle.stopForPause()) {
      inFlight.abortAll();
    }
    return paused;
  }

  @Override
  public CompletableFuture<DownloadStatus> resume() {
    // Before the resume: its event may be delivered before resume() returns.
    CompletableFuture<DownloadStatus> running = waiters.untilRunning();
    Lifecycle.Resume resume;
    try {
      resume = lifecycle.resume();
    } catch (IllegalStateException e) {
      waiters.forget(running);
      throw e;
    }
    switch (resume) {
      case NOTHING -> {
        if (lifecycle.state() != DownloadState.PAUSED && lifecycle.stop() != Lifecycle.Stop.PAUSE) {
          running.complete(status()); // it was running: nothing to wait for
        } // else a pause is under way, and the run goes on right after it: resumed() completes it
      }
      case UNDO_PAUSE -> {
        inFlight.reset();
        // The pause asked for never took effect: its callers learn that it will not.
        DownloadStatus now = status();
        waiters.paused(now);
        running.complete(now);
      }
      case SUBMIT -> {
        inFlight.reset();
        engine.scheduler().submit(this);
      }
      default -> throw new IllegalStateException("unknown resume");
    }
    return running;
  }

  @Override
  public void cancel() {
    stopOrEnd(Lifecycle.Stop.CANCEL, coordinator::cancelled);
  }

  /**
   * Stops this download because its downloader closes: like a pause, the part file and its
   * control file stay for a later run, but the download ends here, as cancelled.
   */
  void abandon() {
    stopOrEnd(Lifecycle.Stop.CLOSE, coordinator::abandoned);
  }

  /**
   * Ends a download that is not running at once with {@code end}; stops a running one with
   * {@code reason}, and its run ends it.
   */
  private void stopOrEnd(Lifecycle.Stop reason, Runnable end) {
    if (lifecycle.isTerminal()) {
      return;
    }
    if (engine.scheduler().removeWaiting(this)) {
      end.run();
      return;
    }
    switch (lifecycle.stop(reason)) {
      case NOTHING -> { }
      case END_NOW -> end.run();
      case ABORT_RUN -> inFlight.abortAll();
      default -> throw new IllegalStateException("unknown stop");
    }
  }

  @Override
  public String toString() {
    return "download " + id + " of " + uri;
  }

  // ---- Scheduling ----

  void queued() {
    events.post((l, d) -> l.downloadQueued(d));
  }

  void markDispatched() {
    lifecycle.dispatched();
  }


  /** One run, on a worker thread given by the scheduler. */
  void run() {
    coordinator.run();
  }
}
