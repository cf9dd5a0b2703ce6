package io.rangefetch.internal;

import io.rangefetch.ByteRange;
import io.rangefetch.DownloadException;
import io.rangefetch.DownloadException.Reason;
import io.rangefetch.DownloadHandle;
import io.rangefetch.DownloadListener;
import io.rangefetch.DownloadRequest;
import io.rangefetch.DownloadResult;
import io.rangefetch.DownloadState;
import io.rangefetch.DownloadStatus;
import io.rangefetch.DownloadUrls;
import io.rangefetch.Probe;
import io.rangefetch.RangeSupport;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The runs of one download, on the coordinator thread each run is given: the probe, the
 * transfer (a {@link ChunkRun} for ranges, a {@link SingleStreamRun} otherwise) and the ending
 * (complete, paused, cancelled, failed). Its fields are confined to the coordinator: one run
 * at a time, handed over through the scheduler's executor; the endings of a download that is
 * not running are called from the thread that stops it, when no run can start.
 */
final class RunCoordinator {
  private static final Logger LOG = LoggerFactory.getLogger(RunCoordinator.class);

  /** Failures after which the part file and its control file stay, to be continued later. */
  private static final Set<Reason> KEEP_PART_AFTER =
      EnumSet.of(Reason.NETWORK, Reason.TIMEOUT, Reason.HTTP_STATUS, Reason.DISK);

  private final DownloadTask task;
  private final String id;
  private final DownloadRequest request;
  private final DownloadEngine engine;
  private final Sources sources;
  private final InFlight inFlight;
  private final EventDispatcher events;
  private final Lifecycle lifecycle;
  private final RunFiles files;
  private final CompletableFuture<DownloadResult> result;
  private final int maxThreads;
  private final long chunkBytes;
  private final long startNanos = System.nanoTime();
  private final AtomicLong bytesDone;
  private final AtomicInteger streamThreads;
  private final SpeedMeter speed;
  private final TransferCounters counters;
  private final ProgressTicker ticker;

  private @Nullable Validators validators;
  private boolean restarted;
  private boolean resubmit;
  // A failure found before the first run, reported by that run.
  private @Nullable FetchFailure earlyFailure;
  // What the last ranged run left undone.
  private List<ByteRange> missing = List.of();

  RunCoordinator(DownloadTask task) {
    this.task = task;
    this.id = task.id();
    this.request = task.request();
    this.engine = task.engine;
    this.sources = task.sources;
    this.inFlight = task.inFlight;
    this.events = task.events;
    this.lifecycle = task.lifecycle;
    this.files = task.files;
    this.result = task.resultFuture;
    this.maxThreads = task.maxThreads;
    this.chunkBytes = task.chunkBytes;
    this.bytesDone = task.bytesDone;
    this.streamThreads = task.streamThreads;
    this.speed = task.speed;
    this.counters = task.counters;
    this.ticker = task.ticker;
    try {
      // A named file is known, and held against other downloads, from the start.
      files.reserveNamedTarget();
    } catch (FetchFailure f) {
      earlyFailure = f;
    }
  }

  /** One run, on a worker thread given by the scheduler. */
  void run() {
    try {
      runOnce();
    } catch (RuntimeException | Error e) {
      LOG.error("download {}: unexpected failure", id, e);
      fail(FetchFailure.bug(e), null);
      failed();
    } finally {
      task.chunkRun = null;
      lifecycle.runEnded();
      engine.scheduler().release();
      if (resubmit) {
        resubmit = false;
        engine.scheduler().submit(task);
      }
    }
  }

  private void runOnce() {
    if (lifecycle.isTerminal()) {
      return;
    }
    if (earlyFailure != null) {
      fail(earlyFailure, null);
      earlyFailure = null;
    }
    if (!lifecycle.stopping()) {
      ticker.start();
      try {
        do {
          try {
            if (!task.sourceControl.replacement().applyBeforeRun(validators)) {
              validators = null; // the new URL serves another file
            }
            if (validators == null) {
              probeAndFetch();
            } else {
              fetchChunks(missing, null, null, null);
            }
          } catch (FetchFailure f) {
            fail(f, null);
          }
        } while (restartIfChanged());
      } finally {
        ticker.stop();
      }
    }
    switch (lifecycle.stop()) {
      case NONE -> completed();
      case PAUSE -> paused();
      case CANCEL -> cancelled();
      case FAIL -> failed();
      case CLOSE -> abandoned();
      default -> throw new IllegalStateException("unknown stop " + lifecycle.stop());
    }
  }

  // ---- Probing ----

  private void probeAndFetch() throws FetchFailure {
    lifecycle.moveTo(DownloadState.PROBING);
    bytesDone.set(0);
    files.startOver();
    files.reserveNamedTarget();
    events.post((l, d) -> l.probeStart(d));
    HostAllowances.Permit permit = task.traffic.awaitConnection(sources.main().uri(),
        lifecycle::await);
    if (permit == null) {
      return; // stopped while the host had no room
    }
    try (permit) {
      probeAndFetch(permit);
    }
  }

  private void probeAndFetch(HostAllowances.Permit permit) throws FetchFailure {
    ByteRange first = ByteRange.of(0, chunkBytes);
    FirstResponse response = openWithRetries(first);
    if (response.kind() == FirstResponse.Kind.UNRELIABLE) {
      LOG.info("download {}: {} answered bytes={} with {} and a Content-Range that does not match;"
          + " reading it as one stream", id, sources.main(), first, response.open().code());
      response.open().discard();
      response = openWithRetries(null);
    }
    try {
      Probe found = response.probe();
      sources.main().probed(found.finalUri(), Validators.of(found));
      task.finalUri = found.finalUri();
      task.ranges = found.ranges();
      task.size = found.size();
      FetchFailure unprepared = null;
      files.expect(ServerDigest.of(response));
      try {
        files.prepare(found, response.kind());
      } catch (FetchFailure f) {
        unprepared = f;
      }
      // After the file is chosen: a listener that hears probeEnd finds it in the handle.
      events.post((l, d) -> l.probeEnd(d, found));
      if (unprepared != null) {
        throw unprepared;
      }
      if (response.kind() != FirstResponse.Kind.RANGED) {
        files.hashFromStart();
      }
      switch (response.kind()) {
        case EMPTY -> response.open().discard();
        case WHOLE -> readStream(response);
        case RANGED -> startRanged(found, response, permit);
        default -> throw new IllegalStateException("unexpected " + response.kind());
      }
    } catch (FetchFailure | RuntimeException e) {
      response.open().discard();
      throw e;
    }
  }

  private void startRanged(Probe found, FirstResponse response, HostAllowances.Permit permit) {
    validators = Validators.of(found);
    ByteRange served = response.servedRange();
    RunFiles.Recording recording = files.startRecording(found, chunkBytes, served);
    RangeSet done = recording.done();
    bytesDone.set(done.bytes());
    if (done.bytes() > 0) {
      long kept = done.bytes();
      LOG.info("download {}: continuing {} from {} bytes already on disk", id, files.file(), kept);
      events.post((l, d) -> l.downloadContinued(d, kept));
    }
    RangeSet planned = done.copy();
    if (recording.readFirst()) {
      planned.add(served);
      fetchChunks(planned.gaps(task.size), response.open(), served, permit);
    } else {
      response.open().discard();
      permit.close();
      fetchChunks(planned.gaps(task.size), null, null, null);
    }
  }

  private FirstResponse openWithRetries(@Nullable ByteRange first) throws FetchFailure {
    RetryPolicy policy = engine.retryPolicy();
    for (int attempt = 1; ; attempt++) {
      try {
        Source main = sources.main();
        return engine.prober().open(main.uri(), first, main.requests(), inFlight,
            task.traffic.probeReceiveBuffer());
      } catch (FetchFailure f) {
        if (!retryAfter(policy, f, attempt)) {
          throw f;
        }
        LOG.debug("download {}: first request failed, retrying: {}", id, f.getMessage());
      }
    }
  }

  /** The one retry decision of a run's own requests: policy, then back-off. */
  private boolean retryAfter(RetryPolicy policy, FetchFailure f, int attempt) {
    task.traffic.answered(sources.main().uri(), f);
    return !lifecycle.stopping() && policy.shouldRetry(f, attempt)
        && lifecycle.await(policy.delay(f, attempt).toNanos());
  }

  // ---- Transfers ----

  private void readStream(FirstResponse first) throws FetchFailure {
    lifecycle.moveTo(DownloadState.DOWNLOADING);
    DownloadTraffic traffic = task.traffic;
    new SingleStreamRun(engine, files, events, task.finalUri, traffic, new SingleStreamRun.Host() {
      @Override
      public FirstResponse reopen() throws FetchFailure {
        return openWithRetries(null);
      }

      @Override
      public boolean stopping() {
        return lifecycle.stopping();
      }

      @Override
      public boolean backOff(long nanos) {
        return lifecycle.await(nanos);
      }

      @Override
      public void written(long position, int bytes) {
        RunCoordinator.this.written(position, bytes);
      }

      @Override
      public void ended(long read) {
        task.size = read;
      }

      @Override
      public void restart() throws FetchFailure {
        bytesDone.set(0);
        files.truncate();
      }

      @Override
      public void reading(boolean reading) {
        streamThreads.set(reading ? 1 : 0);
      }
    }).read(first);
  }

  /**
   * Fetches {@code gaps}, until done or stopped. With {@code first}, the coordinator starts by
   * reading the first response's body, which carries {@code firstRange}.
   */
  private void fetchChunks(List<ByteRange> gaps, InFlight.@Nullable Open first,
      @Nullable ByteRange firstRange, HostAllowances.@Nullable Permit permit) {
    lifecycle.moveTo(DownloadState.DOWNLOADING);
    ChunkRun run = new ChunkRun(id, engine, inFlight, task.sourceControl, files.requirePart(),
        chunkBytes, maxThreads, counters, task.traffic, chunkHost);
    run.scheduler.plan(gaps);
    missing = List.of();
    task.chunkRun = run;
    int chunks = run.scheduler.pendingCount() + (first == null ? 0 : 1);
    run.fetch(Math.max(1, Math.min(maxThreads, chunks)), first, firstRange, permit);
    missing = run.scheduler.missing();
  }

  private final ChunkRun.Host chunkHost = new ChunkRun.Host() {
    @Override
    public boolean stopping() {
      return lifecycle.stopping();
    }

    @Override
    public void written(long position, int bytes) {
      RunCoordinator.this.written(position, bytes);
    }

    @Override
    public void chunkWritten(ByteRange range) {
      files.chunkWritten(range, bytesDone.get(), task.size);
    }

    @Override
    public void fail(FetchFailure failure, ByteRange range) {
      RunCoordinator.this.fail(failure, range);
    }

    @Override
    public boolean await(long nanos) {
      return lifecycle.awaitChange(nanos);
    }

    @Override
    public void wake() {
      lifecycle.wake();
    }

    @Override
    public boolean sleep(long nanos) {
      return lifecycle.await(nanos);
    }

    @Override
    public void post(BiConsumer<DownloadListener, DownloadHandle> event) {
      events.post(event);
    }
  };

  /** Counts a write, and tells the hasher. */
  private void written(long position, int bytes) {
    bytesDone.addAndGet(bytes);
    files.written(position, bytes);
  }

  // ---- Stopping ----

  private void fail(FetchFailure f, @Nullable ByteRange range) {
    if (lifecycle.fail(f, range)) {
      inFlight.abortAll();
    }
  }

  /** After a RESOURCE_CHANGED failure, starts over once from the probe. */
  private boolean restartIfChanged() {
    if (restarted) {
      return false;
    }
    FetchFailure f = lifecycle.failure();
    if (!lifecycle.clearChangedFailure()) {
      return false;
    }
    LOG.warn("download {}: {}; starting over", id, f == null ? "" : f.getMessage());
    restarted = true;
    inFlight.reset();
    validators = null;
    missing = List.of();
    return true;
  }

  // ---- Endings ----

  private void completed() {
    Path target = files.file();
    long done = bytesDone.get();
    if (!missing.isEmpty() || (task.size >= 0 && done != task.size) || target == null) {
      fail(new FetchFailure(Reason.SERVER_MISBEHAVED, false, "the download ended with "
          + done + " of " + task.size + " bytes written; please report this bug", null, null, -1), null);
      failed();
      return;
    }
    task.size = done;
    DownloadStatus last = task.status();
    events.post((l, d) -> l.progress(d, last));
    String sha256;
    try {
      sha256 = files.finish(task.size, request.sha256().orElse(null));
    } catch (FetchFailure f) {
      fail(f, null);
      failed();
      return;
    }
    DownloadResult outcome = new DownloadResult(task.finalUri, target, task.size, sha256,
        task.ranges == RangeSupport.SUPPORTED, Duration.ofNanos(System.nanoTime() - startNanos));
    lifecycle.moveTo(DownloadState.COMPLETED);
    engine.ended(task, target);
    LOG.debug("download {}: {} complete, {} bytes", id, target, task.size);
    events.post((l, d) -> l.downloadEnd(d, outcome));
    events.run(() -> result.complete(outcome));
  }

  private void paused() {
    if (task.ranges == RangeSupport.SUPPORTED) {
      // Before the event, and so before a listener may end the process on hearing of the pause
      // (the CLI does on Ctrl+C): a crash while paused then loses nothing.
      files.recordWhatIsOnDisk(missing, task.size);
    }
    Lifecycle.Stop now = lifecycle.runPaused();
    if (now == Lifecycle.Stop.CANCEL) {
      cancelled();
      return;
    }
    if (now == Lifecycle.Stop.CLOSE) {
      abandoned();
      return;
    }
    if (task.ranges != RangeSupport.SUPPORTED) {
      // Without task.ranges a resumed download starts over from the first request.
      validators = null;
    }
    speed.reset();
    if (lifecycle.resumesAtOnce()) {
      inFlight.reset();
      resubmit = true;
    }
  }

  void cancelled() {
    if (lifecycle.end(DownloadState.CANCELLED)) {
      files.discard();
      endedCancelled();
    }
  }

  /** Ends as cancelled because the downloader closes: the part file stays for a later run. */
  void abandoned() {
    if (lifecycle.end(DownloadState.CANCELLED)) {
      files.keepOrDiscard(task.ranges == RangeSupport.SUPPORTED, missing, task.size);
      endedCancelled();
    }
  }

  private void endedCancelled() {
    engine.ended(task, files.file());
    events.post((l, d) -> l.downloadCancelled(d));
    events.run(() -> result.cancel(false));
  }

  private void failed() {
    if (!lifecycle.end(DownloadState.FAILED)) {
      return;
    }
    FetchFailure f = lifecycle.failure();
    if (f == null) {
      f = FetchFailure.fatal(Reason.NETWORK, "the download stopped for an unknown reason");
    }
    boolean kept = false;
    if (KEEP_PART_AFTER.contains(f.reason())) {
      // Start it again to continue from here, as curl -C - and aria2c -c do.
      kept = files.keepOrDiscard(task.ranges == RangeSupport.SUPPORTED, missing, task.size);
    } else {
      files.discard();
    }
    DownloadException cause = f.toDownloadException(DownloadUrls.redact(sources.main().uri()),
        lifecycle.failedRange(), kept);
    engine.ended(task, files.file());
    LOG.warn("download {} failed: {}", id, cause.getMessage());
    events.post((l, d) -> l.downloadFailed(d, cause));
    events.run(() -> result.completeExceptionally(cause));
  }
}
