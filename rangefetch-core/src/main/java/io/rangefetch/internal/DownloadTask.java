package io.rangefetch.internal;

import io.rangefetch.ByteRange;
import io.rangefetch.DownloadException;
import io.rangefetch.DownloadException.Reason;
import io.rangefetch.DownloadHandle;
import io.rangefetch.DownloadRequest;
import io.rangefetch.DownloadResult;
import io.rangefetch.DownloadState;
import io.rangefetch.DownloadStatus;
import io.rangefetch.Probe;
import io.rangefetch.RangeSupport;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One download: its state machine, its chunk queue and its workers. Implements the public
 * handle. Thread-safe.
 *
 * <p>A run starts when the scheduler gives the task a slot and ends when all its workers have
 * stopped: complete, paused, cancelled or failed. The thread of the run (the coordinator) sends
 * the first request, starts the other workers as soon as its headers arrive, then works as one
 * of them and waits for the rest.
 */
final class DownloadTask implements DownloadHandle {
  private static final Logger LOG = LoggerFactory.getLogger(DownloadTask.class);

  /** Failures after which the part file and its control file stay, to be continued later. */
  private static final java.util.Set<Reason> KEEP_PART_AFTER =
      java.util.EnumSet.of(Reason.NETWORK, Reason.TIMEOUT, Reason.HTTP_STATUS, Reason.DISK);

  /**
   * Why the workers of a run must stop. CANCEL overrides the others; CLOSE (the downloader is
   * closing) overrides PAUSE.
   */
  private enum Stop { NONE, PAUSE, CANCEL, FAIL, CLOSE }

  private final String id;
  private final DownloadRequest request;
  private final DownloadEngine engine;
  private final URI uri;
  private final Requests requests;
  private final InFlight inFlight = new InFlight();
  private final ChunkFetcher chunkFetcher;
  private final EventDispatcher events;
  private final CompletableFuture<DownloadResult> result = new CompletableFuture<>();
  private final int maxThreads;
  private final long chunkBytes;
  private final long startNanos = System.nanoTime();
  private final AtomicLong bytesDone = new AtomicLong();
  private final AtomicInteger activeThreads = new AtomicInteger();
  private final SpeedMeter speed = new SpeedMeter();
  private final ConcurrentLinkedDeque<ByteRange> queue = new ConcurrentLinkedDeque<>();

  private final Object lock = new Object();
  // Guarded by lock; volatile so that workers can poll it without the lock.
  private volatile Stop stop = Stop.NONE;
  // Guarded by lock.
  private DownloadState state = DownloadState.QUEUED;
  // Guarded by lock.
  private @Nullable FetchFailure failure;
  // Guarded by lock.
  private @Nullable ByteRange failedRange;
  // Guarded by lock: true from the scheduler's dispatch until the run has ended.
  private boolean dispatched;
  // Guarded by lock: resume() called while a pause was still stopping the workers.
  private boolean resumeRequested;

  // Written by the coordinator, read by anyone.
  private volatile URI finalUri;
  private volatile long size = -1;
  private volatile RangeSupport ranges = RangeSupport.UNKNOWN;
  private volatile @Nullable Path file;

  // Coordinator only: one run at a time, handed over through the scheduler's executor.
  private @Nullable Validators validators;
  private @Nullable PartFile part;
  private @Nullable Checkpointer checkpointer;
  // Null when the request asked for no digest.
  private volatile @Nullable PrefixHasher hasher;
  // Ranges a control file of an earlier run lists as done, until the chunks are planned.
  private @Nullable RangeSet onDisk;
  private boolean restarted;
  private boolean resubmit;
  // Coordinator only: a failure found before the first run, reported by that run.
  private @Nullable FetchFailure earlyFailure;
  private @Nullable ScheduledFuture<?> ticker;
  // Progress ticker thread only.
  private long reportedBytes = -1;
  private int reportedThreads = -1;

  DownloadTask(String id, DownloadRequest request, DownloadEngine engine) {
    this.id = id;
    this.request = request;
    this.engine = engine;
    this.uri = Redaction.redact(request.uri());
    this.finalUri = uri;
    this.requests = new Requests(request.uri(), request.headers());
    this.chunkFetcher = new ChunkFetcher(engine.client(), requests, inFlight);
    List<io.rangefetch.DownloadListener> listeners = new ArrayList<>(engine.settings().listeners());
    listeners.add(request.listener());
    this.events = new EventDispatcher(this, List.copyOf(listeners), engine.callbackExecutor());
    this.maxThreads = Math.min(request.threads().orElse(Integer.MAX_VALUE),
        engine.settings().limits().maxThreads());
    this.chunkBytes = Math.min(request.chunkBytes().orElse(Long.MAX_VALUE),
        engine.settings().limits().maxBytesPerThread());
    if (!Files.isDirectory(request.target())) {
      // A named file is known, and held against other downloads, from the start.
      try {
        file = engine.targets().reserve(request.target(), request.ifExists(), this::resumable);
      } catch (FetchFailure f) {
        earlyFailure = f;
      }
    }
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
    return Optional.ofNullable(file);
  }

  @Override
  public URI uri() {
    return uri;
  }

  @Override
  public DownloadStatus status() {
    DownloadState now;
    synchronized (lock) {
      now = state;
    }
    boolean moving = now == DownloadState.DOWNLOADING || now == DownloadState.PROBING;
    return new DownloadStatus(now, finalUri, size, ranges, moving ? activeThreads.get() : 0,
        maxThreads, chunkBytes, bytesDone.get(), moving ? speed.bytesPerSecond() : 0,
        Instant.now());
  }

  @Override
  public CompletableFuture<DownloadResult> result() {
    return result;
  }

  @Override
  public void pause() {
    synchronized (lock) {
      checkNotTerminal("paused");
      if (state == DownloadState.PAUSED || stop == Stop.PAUSE) {
        return;
      }
    }
    if (engine.scheduler().removeWaiting(this)) {
      synchronized (lock) {
        state = DownloadState.PAUSED;
        // Posted under the lock: a resume cannot post its event before this one.
        events.post((l, d) -> l.downloadPaused(d));
      }
      return;
    }
    synchronized (lock) {
      checkNotTerminal("paused");
      if (stop != Stop.NONE) {
        return;
      }
      // Also when not dispatched yet (a resume is handing it to the scheduler): the run then
      // sees the pause as it starts.
      stop = Stop.PAUSE;
      resumeRequested = false;
      lock.notifyAll();
    }
    inFlight.abortAll();
  }

  @Override
  public void resume() {
    synchronized (lock) {
      checkNotTerminal("resumed");
      if (stop == Stop.PAUSE && dispatched) {
        resumeRequested = true;
        return;
      }
      if (stop == Stop.PAUSE && state == DownloadState.QUEUED) {
        // Paused while being handed to the scheduler, before any run saw it: take it back.
        stop = Stop.NONE;
        inFlight.reset();
        return;
      }
      if (state != DownloadState.PAUSED) {
        return;
      }
      state = DownloadState.QUEUED;
      stop = Stop.NONE;
      events.post((l, d) -> l.downloadResumed(d));
    }
    inFlight.reset();
    engine.scheduler().submit(this);
  }

  @Override
  public void cancel() {
    stopOrEnd(Stop.CANCEL, this::cancelled);
  }

  /**
   * Stops this download because its downloader closes: like a pause, the part file and its
   * control file stay for a later run, but the download ends here, as cancelled.
   */
  void abandon() {
    stopOrEnd(Stop.CLOSE, this::abandoned);
  }

  /**
   * Ends a download that is not running at once with {@code end}; stops a running one with
   * {@code reason}, and its run ends it.
   */
  private void stopOrEnd(Stop reason, Runnable end) {
    synchronized (lock) {
      if (state.isTerminal()) {
        return;
      }
    }
    if (engine.scheduler().removeWaiting(this)) {
      end.run();
      return;
    }
    boolean idle;
    synchronized (lock) {
      if (state.isTerminal()) {
        return;
      }
      idle = !dispatched;
      // A cancel overrides every other reason; closing overrides only a pause.
      boolean overrides = reason == Stop.CANCEL || stop == Stop.NONE || stop == Stop.PAUSE;
      if (!idle && overrides) {
        stop = reason;
        lock.notifyAll();
      }
    }
    if (idle) {
      end.run();
    } else {
      inFlight.abortAll();
    }
  }

  private void checkNotTerminal(String verb) {
    if (state.isTerminal()) {
      throw new IllegalStateException("download " + id + " is " + state.name().toLowerCase()
          + " and cannot be " + verb + "; start it again to download it once more");
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
    synchronized (lock) {
      dispatched = true;
    }
  }

  /** One run, on a worker thread given by the scheduler. */
  void run() {
    try {
      runOnce();
    } catch (RuntimeException | Error e) {
      LOG.error("download {}: unexpected failure", id, e);
      recordFailure(new FetchFailure(Reason.NETWORK, false,
          "rangefetch failed unexpectedly: " + e + "; please report this bug", e, null, -1), null);
      failed();
    } finally {
      synchronized (lock) {
        dispatched = false;
      }
      engine.scheduler().release();
      if (resubmit) {
        resubmit = false;
        engine.scheduler().submit(this);
      }
    }
  }

  private void runOnce() {
    synchronized (lock) {
      if (state.isTerminal()) {
        return;
      }
    }
    if (earlyFailure != null) {
      recordFailure(earlyFailure, null);
      earlyFailure = null;
    }
    if (stop == Stop.NONE) {
      startTicker();
      try {
        do {
          try {
            if (validators == null) {
              probeAndFetch();
            } else {
              fetchChunks(null, null);
            }
          } catch (FetchFailure f) {
            recordFailure(f, null);
          }
        } while (restartIfChanged());
      } finally {
        stopTicker();
      }
    }
    switch (stop) {
      case NONE -> completed();
      case PAUSE -> paused();
      case CANCEL -> cancelled();
      case FAIL -> failed();
      case CLOSE -> abandoned();
      default -> throw new IllegalStateException("unknown stop " + stop);
    }
  }

  // ---- Probing ----

  private void probeAndFetch() throws FetchFailure {
    setState(DownloadState.PROBING);
    bytesDone.set(0);
    queue.clear();
    if (part != null) {
      startOver();
    }
    if (file == null && !Files.isDirectory(request.target())) {
      file = engine.targets().reserve(request.target(), request.ifExists(), this::resumable);
    }
    events.post((l, d) -> l.probeStart(d));
    ByteRange first = ByteRange.of(0, chunkBytes);
    FirstResponse response = openWithRetries(first);
    if (response.kind() == FirstResponse.Kind.UNRELIABLE) {
      LOG.info("download {}: {} answered bytes={} with {} and a Content-Range that does not match;"
          + " reading it as one stream", id, uri, first, response.open().code());
      closeQuietly(response.open());
      response = openWithRetries(null);
    }
    try {
      Probe probe = response.probe();
      finalUri = probe.finalUri();
      ranges = probe.ranges();
      size = probe.size();
      events.post((l, d) -> l.probeEnd(d, probe));
      prepareFile(probe, response.kind());
      if (response.kind() != FirstResponse.Kind.RANGED) {
        hasher = newHasher(new RangeSet());
      }
      switch (response.kind()) {
        case EMPTY -> closeQuietly(response.open());
        case WHOLE -> readStream(response);
        case RANGED -> {
          validators = Validators.of(probe);
          ByteRange served = new ByteRange(0, Math.min(first.last(), probe.size() - 1));
          boolean fresh = onDisk == null;
          RangeSet done = fresh ? new RangeSet() : onDisk;
          onDisk = null;
          boolean useFirst = !done.contains(served);
          if (useFirst) {
            // The first response is read anyway: its bytes count once, as they arrive.
            done.remove(served);
          }
          checkpointer = new Checkpointer(requireFile(), requirePart(),
              ControlFile.header(uri.toString(), probe, chunkBytes), done, engine.workers(),
              engine.timer(), engine.settings().checkpointInterval());
          if (fresh && served.last() < probe.size() - 1) {
            // The first checkpoint may be an interval away: until then this marks the part
            // file as ours, so that a run after a crash takes it instead of a numbered name.
            // A file the first response covers whole has nothing to continue, and a server
            // adding many small files pays for every file written.
            checkpointer.claim();
          }
          hasher = newHasher(done);
          bytesDone.set(done.bytes());
          if (done.bytes() > 0) {
            long kept = done.bytes();
            LOG.info("download {}: continuing {} from {} bytes already on disk", id, file, kept);
            events.post((l, d) -> l.downloadContinued(d, kept));
          }
          RangeSet planned = done.copy();
          if (useFirst) {
            planned.add(served);
          }
          planChunks(planned);
          if (useFirst) {
            fetchChunks(response.open(), served);
          } else {
            closeQuietly(response.open());
            fetchChunks(null, null);
          }
        }
        default -> throw new IllegalStateException("unexpected " + response.kind());
      }
    } catch (FetchFailure | RuntimeException e) {
      closeQuietly(response.open());
      throw e;
    }
  }

  private FirstResponse openWithRetries(@Nullable ByteRange first) throws FetchFailure {
    RetryPolicy policy = engine.retryPolicy();
    for (int attempt = 1; ; attempt++) {
      try {
        return engine.prober().open(request.uri(), first, requests, inFlight);
      } catch (FetchFailure f) {
        if (stop != Stop.NONE || !policy.shouldRetry(f, attempt)) {
          throw f;
        }
        LOG.debug("download {}: first request failed, retrying: {}", id, f.getMessage());
        if (!awaitBackoff(policy.delay(f, attempt))) {
          throw f;
        }
      }
    }
  }

  private void prepareFile(Probe probe, FirstResponse.Kind kind) throws FetchFailure {
    long max = engine.settings().limits().maxFileBytes();
    if (probe.size() > max) {
      throw FetchFailure.fatal(Reason.TOO_LARGE, probe.finalUri() + " is " + probe.size()
          + " bytes, more than the limit of " + max
          + " bytes (Limits.maxFileBytes); raise the limit to download it");
    }
    if (file == null) {
      file = engine.targets().reserve(request.target().resolve(probe.fileName()),
          request.ifExists(), this::resumable);
    }
    Path target = requireFile();
    if (part == null && kind == FirstResponse.Kind.RANGED) {
      onDisk = ControlFile.continuable(target, uri.toString(), probe, id);
      if (onDisk != null) {
        part = PartFile.reopen(target);
      }
    }
    if (probe.size() > 0) {
      checkFreeSpace(target.getParent(), probe.size() - (onDisk == null ? 0 : onDisk.bytes()));
    }
    if (part == null) {
      ControlFile.delete(target);
      part = PartFile.create(target);
    }
  }

  /** Whether the part file beside {@code target} was left by an earlier run of this URL. */
  private boolean resumable(Path target) {
    return ControlFile.isFor(target, uri.toString());
  }

  /** Drops what an earlier attempt wrote: the file changed, or ranges do not work. */
  private void startOver() throws FetchFailure {
    Checkpointer old = checkpointer;
    if (old != null) {
      old.close();
      checkpointer = null;
    }
    // Records first: a crash in between then leaves a part file that nothing claims to continue.
    ControlFile.delete(requireFile());
    requirePart().truncate();
    hasher = null;
  }

  private @Nullable PrefixHasher newHasher(RangeSet onDisk) {
    return request.computeSha256()
        ? new PrefixHasher(requirePart().channel(), onDisk, engine.workers()) : null;
  }

  /** Counts a write, and tells the hasher. */
  private void written(long position, int bytes) {
    bytesDone.addAndGet(bytes);
    PrefixHasher h = hasher;
    if (h != null) {
      h.written(ByteRange.of(position, bytes));
    }
  }

  private static void checkFreeSpace(Path dir, long needed) throws FetchFailure {
    // File.getUsableSpace is one statvfs; Files.getFileStore reads the mount table first.
    long free = dir.toFile().getUsableSpace();
    if (free == 0 && !Files.isDirectory(dir)) {
      return; // unknown: the write itself reports a missing directory
    }
    if (free < needed) {
      throw FetchFailure.fatal(Reason.DISK, "the file needs " + needed + " bytes but " + dir
          + " has only " + free + " bytes free; free some space or choose another directory");
    }
  }

  /** Queues every range not in {@code planned}, cut into chunks. */
  private void planChunks(RangeSet planned) {
    for (ByteRange gap : planned.gaps(size)) {
      for (long first = gap.first(); first <= gap.last(); first += chunkBytes) {
        queue.add(new ByteRange(first, Math.min(gap.last(), first + chunkBytes - 1)));
      }
    }
  }

  // ---- One stream ----

  private void readStream(FirstResponse first) throws FetchFailure {
    setState(DownloadState.DOWNLOADING);
    WorkerBuffer buffer = WorkerBuffer.ofThisThread();
    RetryPolicy policy = engine.retryPolicy();
    long max = engine.settings().limits().maxFileBytes();
    FirstResponse response = first;
    for (int attempt = 1; ; attempt++) {
      long announced = response.probe().size();
      ByteRange whole = announced > 0 ? new ByteRange(0, announced - 1) : null;
      int attemptNumber = attempt;
      if (whole != null) {
        events.post((l, d) -> l.chunkStart(d, whole, attemptNumber));
      }
      String what = Requests.describe(finalUri, null);
      activeThreads.incrementAndGet();
      try (InFlight.Open open = response.open()) {
        long read = SingleStreamFetcher.read(open, announced, max, requirePart(), buffer,
            this::written, this::stopping, what);
        size = read;
        if (whole != null) {
          events.post((l, d) -> l.chunkEnd(d, whole));
        }
        return;
      } catch (IOException | RuntimeException e) {
        FetchFailure f = FailureClassifier.classify(e, what);
        boolean retry = stop == Stop.NONE && policy.shouldRetry(f, attempt);
        if (whole != null) {
          events.post((l, d) -> l.chunkFailed(d, whole, f, retry));
        }
        if (!retry) {
          if (stop == Stop.NONE) {
            throw f;
          }
          return;
        }
        bytesDone.set(0);
        requirePart().truncate();
        hasher = newHasher(new RangeSet());
        if (!awaitBackoff(policy.delay(f, attempt))) {
          return;
        }
      } finally {
        activeThreads.decrementAndGet();
      }
      response = openWithRetries(null);
      if (response.kind() != FirstResponse.Kind.WHOLE) {
        closeQuietly(response.open());
        throw FetchFailure.fatal(Reason.SERVER_MISBEHAVED, "GET " + finalUri + " answered "
            + response.open().code() + " where it had answered 200 before; try again later");
      }
    }
  }

  // ---- Chunks ----

  /**
   * Runs the workers until the queue is empty or the run stops. The coordinator is one of
   * them; with {@code first}, it starts by reading the body of the first response.
   */
  private void fetchChunks(InFlight.@Nullable Open first, @Nullable ByteRange firstRange) {
    setState(DownloadState.DOWNLOADING);
    int workers = Math.min(maxThreads, queue.size() + (first == null ? 0 : 1));
    List<Future<?>> others = new ArrayList<>();
    for (int i = 1; i < workers; i++) {
      others.add(engine.workers().submit(() -> workLoop(WorkerBuffer.ofThisThread())));
    }
    WorkerBuffer buffer = WorkerBuffer.ofThisThread();
    if (first != null && firstRange != null) {
      fetchChunk(firstRange, first, buffer);
    }
    workLoop(buffer);
    for (Future<?> other : others) {
      awaitWorker(other);
    }
  }

  private void workLoop(WorkerBuffer buffer) {
    try {
      ByteRange next;
      while (stop == Stop.NONE && (next = queue.poll()) != null) {
        fetchChunk(next, null, buffer);
      }
    } catch (RuntimeException | Error e) {
      LOG.error("download {}: worker failed unexpectedly", id, e);
      recordFailure(new FetchFailure(Reason.NETWORK, false,
          "rangefetch failed unexpectedly: " + e + "; please report this bug", e, null, -1), null);
    }
  }

  /** Fetches one chunk with retries; each retry asks only for the bytes still missing. */
  private void fetchChunk(ByteRange chunk, InFlight.@Nullable Open opened, WorkerBuffer buffer) {
    RetryPolicy policy = engine.retryPolicy();
    PartFile target = requirePart();
    Validators expected = requireValidators();
    InFlight.Open pending = opened;
    long next = chunk.first();
    for (int attempt = 1; ; attempt++) {
      ByteRange want = new ByteRange(next, chunk.last());
      int attemptNumber = attempt;
      events.post((l, d) -> l.chunkStart(d, want, attemptNumber));
      AtomicLong written = new AtomicLong();
      WorkerBuffer.Sink sink = (position, n) -> {
        written.addAndGet(n);
        written(position, n);
      };
      activeThreads.incrementAndGet();
      try {
        if (pending != null) {
          try (InFlight.Open open = pending) {
            pending = null;
            ChunkFetcher.readBody(open, want, target, buffer, sink, this::stopping,
                Requests.describe(finalUri, want));
          }
        } else {
          chunkFetcher.fetch(finalUri, want, expected, target, buffer, sink, this::stopping);
        }
        chunkDone(chunk, want);
        return;
      } catch (IOException | RuntimeException e) {
        next += written.get();
        ByteRange rest = next <= chunk.last() ? new ByteRange(next, chunk.last()) : null;
        if (rest == null) {
          chunkDone(chunk, want);
          return;
        }
        if (stop != Stop.NONE) {
          queue.addFirst(rest);
          IOException stopped = new IOException("download " + stop.name().toLowerCase());
          events.post((l, d) -> l.chunkFailed(d, want, stopped, false));
          return;
        }
        FetchFailure f = FailureClassifier.classify(e, Requests.describe(finalUri, want));
        boolean retry = policy.shouldRetry(f, attempt);
        events.post((l, d) -> l.chunkFailed(d, want, f, retry));
        if (!retry || !awaitBackoff(policy.delay(f, attempt))) {
          queue.addFirst(rest);
          if (!retry) {
            recordFailure(f, want);
          }
          return;
        }
      } finally {
        activeThreads.decrementAndGet();
      }
    }
  }

  private void chunkDone(ByteRange chunk, ByteRange lastAttempt) {
    Checkpointer recorder = checkpointer;
    // The chunk that completes the file is not recorded: the file is renamed next, and a small
    // file (one chunk) then costs no hand-off, no record and no timer at all.
    if (recorder != null && !(size > 0 && bytesDone.get() >= size)) {
      recorder.completed(chunk);
    }
    events.post((l, d) -> l.chunkEnd(d, lastAttempt));
  }

  private void awaitWorker(Future<?> worker) {
    try {
      worker.get();
    } catch (ExecutionException e) {
      LOG.error("download {}: worker failed unexpectedly", id, e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  // ---- Stopping ----

  private boolean stopping() {
    return stop != Stop.NONE;
  }

  private void recordFailure(FetchFailure f, @Nullable ByteRange range) {
    synchronized (lock) {
      if (stop == Stop.NONE) {
        stop = Stop.FAIL;
        failure = f;
        failedRange = range;
        lock.notifyAll();
      }
    }
    inFlight.abortAll();
  }

  /** Waits before a retry; false if the run was stopped meanwhile. */
  private boolean awaitBackoff(Duration delay) {
    long deadline = System.nanoTime() + delay.toNanos();
    synchronized (lock) {
      try {
        while (stop == Stop.NONE) {
          long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
          if (left <= 0) {
            break;
          }
          lock.wait(left);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
      return stop == Stop.NONE;
    }
  }

  /** After a RESOURCE_CHANGED failure, starts over once from the probe. */
  private boolean restartIfChanged() {
    synchronized (lock) {
      if (stop != Stop.FAIL || failure == null || failure.reason() != Reason.RESOURCE_CHANGED
          || restarted) {
        return false;
      }
      LOG.warn("download {}: {}; starting over", id, failure.getMessage());
      restarted = true;
      stop = Stop.NONE;
      failure = null;
      failedRange = null;
    }
    inFlight.reset();
    validators = null;
    return true;
  }

  // ---- Endings ----

  private void completed() {
    PartFile written = requirePart();
    Path target = file;
    long done = bytesDone.get();
    if (!queue.isEmpty() || (size >= 0 && done != size) || target == null) {
      recordFailure(new FetchFailure(Reason.SERVER_MISBEHAVED, false, "the download ended with "
          + done + " of " + size + " bytes written; please report this bug", null, null, -1), null);
      failed();
      return;
    }
    size = done;
    DownloadStatus last = status();
    events.post((l, d) -> l.progress(d, last));
    String sha256;
    try {
      sha256 = digest(written);
    } catch (IOException e) {
      recordFailure(PartFile.diskFailure("reading " + written.path() + " to check it", e), null);
      failed();
      return;
    }
    String expected = request.sha256().orElse(null);
    if (expected != null && !expected.equals(sha256)) {
      recordFailure(FetchFailure.fatal(Reason.CHECKSUM_MISMATCH, "the downloaded file has SHA-256 "
          + sha256 + ", not the expected " + expected
          + "; it was deleted. Check the expected digest, or the file changed on the server"), null);
      failed();
      return;
    }
    closeCheckpointer();
    try {
      written.commit(target);
      ControlFile.delete(target);
    } catch (FetchFailure f) {
      recordFailure(f, null);
      failed();
      return;
    }
    DownloadResult done1 = new DownloadResult(finalUri, target, size, sha256,
        ranges == RangeSupport.SUPPORTED, Duration.ofNanos(System.nanoTime() - startNanos));
    setState(DownloadState.COMPLETED);
    engine.ended(this, target);
    LOG.debug("download {}: {} complete, {} bytes", id, target, size);
    events.post((l, d) -> l.downloadEnd(d, done1));
    events.run(() -> result.complete(done1));
  }

  /** The SHA-256 of the complete part file, or "" when the request asked for none. */
  private String digest(PartFile written) throws IOException {
    PrefixHasher h = hasher;
    if (h == null) {
      return "";
    }
    try {
      return h.finish(size);
    } catch (IOException e) {
      // The prefix hasher lost track (it should not); one pass over the file is always right.
      LOG.warn("download {}: hashing as the file grew failed ({}); hashing it again", id,
          e.getMessage());
      return Sha256.of(written.channel());
    }
  }

  private void paused() {
    if (ranges == RangeSupport.SUPPORTED) {
      // Before the event, and so before a listener may end the process on hearing of the pause
      // (the CLI does on Ctrl+C): a crash while paused then loses nothing.
      recordWhatIsOnDisk();
    }
    boolean again = false;
    Stop now;
    synchronized (lock) {
      // A cancel, or the downloader closing, may have come while the record was written.
      now = stop;
      if (now != Stop.CANCEL && now != Stop.CLOSE) {
        again = pausedUnderLock();
      }
    }
    if (now == Stop.CANCEL) {
      cancelled();
      return;
    }
    if (now == Stop.CLOSE) {
      abandoned();
      return;
    }
    if (ranges != RangeSupport.SUPPORTED) {
      // Without ranges a resumed download starts over from the first request.
      validators = null;
    }
    speed.reset();
    if (again) {
      inFlight.reset();
      resubmit = true;
    }
  }

  /**
   * Enters PAUSED and tells the listeners; if resume() was called meanwhile, goes on at once and
   * returns true. Called with lock held.
   */
  private boolean pausedUnderLock() {
    state = DownloadState.PAUSED;
    boolean again = resumeRequested;
    resumeRequested = false;
    // Posted under the lock, like resume()'s event: listeners see paused before resumed.
    events.post((l, d) -> l.downloadPaused(d));
    if (again) {
      state = DownloadState.QUEUED;
      stop = Stop.NONE;
      events.post((l, d) -> l.downloadResumed(d));
    } else {
      // From here resume() submits the task afresh; the slot is released right after.
      dispatched = false;
    }
    return again;
  }

  private void cancelled() {
    endCancelled(false);
  }

  private void abandoned() {
    endCancelled(true);
  }

  /**
   * Ends the download as cancelled; with {@code keepPart} (the downloader is closing) its part
   * file stays for a later run, otherwise it is deleted.
   */
  private void endCancelled(boolean keepPart) {
    synchronized (lock) {
      if (state.isTerminal()) {
        return;
      }
      state = DownloadState.CANCELLED;
    }
    if (keepPart) {
      keepOrDiscardPart();
    } else {
      closeCheckpointer();
      discardPart();
    }
    engine.ended(this, file);
    events.post((l, d) -> l.downloadCancelled(d));
    events.run(() -> result.cancel(false));
  }

  /** Keeps the part file if its control file lists something, so a later run continues it. */
  private void keepOrDiscardPart() {
    boolean keep = false;
    if (checkpointer != null && ranges == RangeSupport.SUPPORTED) {
      recordWhatIsOnDisk();
      keep = checkpointer.hasRecorded();
    }
    closeCheckpointer();
    if (keep) {
      requirePart().close();
    } else {
      discardPart();
    }
  }

  private void failed() {
    DownloadException cause;
    synchronized (lock) {
      if (state.isTerminal()) {
        return;
      }
      state = DownloadState.FAILED;
      FetchFailure f = failure != null ? failure
          : FetchFailure.fatal(Reason.NETWORK, "the download stopped for an unknown reason");
      cause = f.toDownloadException(uri, failedRange);
    }
    if (KEEP_PART_AFTER.contains(cause.reason())) {
      // Start it again to continue from here, as curl -C - and aria2c -c do.
      keepOrDiscardPart();
    } else {
      closeCheckpointer();
      discardPart();
    }
    engine.ended(this, file);
    LOG.warn("download {} failed: {}", id, cause.getMessage());
    events.post((l, d) -> l.downloadFailed(d, cause));
    events.run(() -> result.completeExceptionally(cause));
  }

  private void discardPart() {
    PartFile written = part;
    if (written != null) {
      written.discard();
    }
    Path target = file;
    if (target != null) {
      ControlFile.delete(target);
    }
  }

  /**
   * Once the workers have stopped, records exactly what is on disk: everything but the queue,
   * which holds the chunks never started and the rest of every chunk that was cut.
   */
  private void recordWhatIsOnDisk() {
    Checkpointer recorder = checkpointer;
    if (recorder != null) {
      RangeSet missing = new RangeSet();
      queue.forEach(missing::add);
      recorder.recordNow(RangeSet.of(missing.gaps(size)));
    }
  }

  private void closeCheckpointer() {
    Checkpointer recorder = checkpointer;
    if (recorder != null) {
      recorder.close();
    }
  }

  // ---- Progress ----

  private void startTicker() {
    long interval = engine.settings().progressInterval().toNanos();
    ticker = engine.timer().scheduleAtFixedRate(this::tick, interval, interval,
        TimeUnit.NANOSECONDS);
  }

  private void stopTicker() {
    ScheduledFuture<?> running = ticker;
    if (running != null) {
      running.cancel(false);
    }
  }

  private void tick() {
    long bytes = bytesDone.get();
    int threads = activeThreads.get();
    speed.sample(System.nanoTime(), bytes);
    if (bytes != reportedBytes || threads != reportedThreads) {
      reportedBytes = bytes;
      reportedThreads = threads;
      DownloadStatus now = status();
      events.post((l, d) -> l.progress(d, now));
    }
  }

  // ---- Small things ----

  private void setState(DownloadState next) {
    synchronized (lock) {
      if (!state.isTerminal()) {
        state = next;
      }
    }
  }

  private PartFile requirePart() {
    PartFile p = part;
    if (p == null) {
      throw new IllegalStateException("no part file before the probe");
    }
    return p;
  }

  private Path requireFile() {
    Path f = file;
    if (f == null) {
      throw new IllegalStateException("no target file before it is reserved");
    }
    return f;
  }

  private Validators requireValidators() {
    Validators v = validators;
    if (v == null) {
      throw new IllegalStateException("no validators before the probe");
    }
    return v;
  }

  private static void closeQuietly(InFlight.Open open) {
    open.abort();
    open.close();
  }
}
