package io.rangefetch.internal;

import io.rangefetch.DownloadHandle;
import io.rangefetch.DownloadListener;
import io.rangefetch.DownloadRequest;
import io.rangefetch.DownloadResult;
import io.rangefetch.DownloadState;
import io.rangefetch.DownloadStatus;
import io.rangefetch.RangeSupport;
import io.rangefetch.SourceStatus;
import java.net.URI;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
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
    this.uri = Redaction.redact(request.uri());
    this.finalUri = uri;
    this.sources = new Sources(request);
    List<DownloadListener> listeners = new ArrayList<>(engine.settings().listeners());
    listeners.add(request.listener());
    this.events = new EventDispatcher(this, List.copyOf(listeners), engine.callbackExecutor());
    this.lifecycle = new Lifecycle(id, new Lifecycle.Events() {
      @Override
      public void paused() {
        events.post((l, d) -> l.downloadPaused(d));
      }

      @Override
      public void resumed() {
        events.post((l, d) -> l.downloadResumed(d));
      }
    });
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
    List<URI> checked = new ArrayList<>();
    for (URI mirror : Objects.requireNonNull(mirrors, "mirrors")) {
      URI one = UriReplacement.checked(Objects.requireNonNull(mirror, "mirror"));
      if (checked.contains(one)) {
        throw new IllegalArgumentException("mirror " + Redaction.redact(one)
            + " is given twice; give each URL of the file once");
      }
      checked.add(one);
    }
    if (lifecycle.isTerminal()) {
      throw new IllegalStateException("download " + id + " is " + lifecycle.state()
          + "; mirrors apply to a running, paused or queued download only");
    }
    sources.replaceMirrors(checked); // checked by the workers between two connections
  }

  @Override
  public void replaceUri(URI uri) {
    URI fresh = UriReplacement.checked(Objects.requireNonNull(uri, "uri"));
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
    return resultFuture;
  }

  @Override
  public void pause() {
    if (!lifecycle.wantsPause()) {
      return;
    }
    if (engine.scheduler().removeWaiting(this)) {
      lifecycle.pausedWhileWaiting();
      return;
    }
    if (lifecycle.stopForPause()) {
      inFlight.abortAll();
    }
  }

  @Override
  public void resume() {
    switch (lifecycle.resume()) {
      case NOTHING -> { }
      case UNDO_PAUSE -> inFlight.reset();
      case SUBMIT -> {
        inFlight.reset();
        engine.scheduler().submit(this);
      }
      default -> throw new IllegalStateException("unknown resume");
    }
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
