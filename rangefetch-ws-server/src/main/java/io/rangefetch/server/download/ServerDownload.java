package io.rangefetch.server.download;

import io.rangefetch.DownloadException;
import io.rangefetch.DownloadHandle;
import io.rangefetch.DownloadResult;
import io.rangefetch.DownloadState;
import io.rangefetch.DownloadStatus;
import io.rangefetch.Limits;
import io.rangefetch.RangeSupport;
import io.rangefetch.SourceStatus;
import io.rangefetch.server.protocol.AddCommand;
import io.rangefetch.server.protocol.StatusJson;
import io.rangefetch.server.protocol.StatusJson.ErrorJson;
import io.rangefetch.server.protocol.StoredDownload;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * One download of the server: what was asked for, the core's handle while it runs, and the
 * status clients see. It outlives its handle: a restart or a resume after a restart starts a new
 * one. Thread-safe: every field below the constructor's is guarded by {@code this}.
 */
final class ServerDownload {
  private final String id;
  // Guarded by this: an update replaces them; formerUri is the URL before the last update
  // (for the next run to continue its part file); sources as the core last told them.
  private URI uri;
  private AddCommand options;
  private @Nullable URI formerUri;
  private List<SourceStatus> sources = List.of();

  // guarded by this: the core's download, null while none runs (restored, paused or ended)
  private @Nullable DownloadHandle handle;
  // guarded by this: incremented per handle, so events of an older handle are ignored
  private long generation;
  // guarded by this: set by remove; a removed download takes no more events
  private boolean removed;
  // guarded by this: a pause was asked for while no run held the download (or while its node
  // cannot reach the cluster's database): clients are shown paused at once, and the run is
  // paused when it is attached. A pause of a running download waits for the core instead.
  private boolean pauseRequested;
  // guarded by this: the status fields
  private DownloadState state = DownloadState.QUEUED;
  private @Nullable URI finalUri;
  private long size = -1;
  private RangeSupport ranges = RangeSupport.UNKNOWN;
  private int threads;
  private int maxThreads;
  private long chunkBytes;
  private long bytesDone;
  private long bytesPerSecond;
  private @Nullable Duration remaining;
  private @Nullable String fileName;
  private @Nullable Path file;
  // guarded by this: file.toUri() as text, kept with file (made once, not per status)
  private @Nullable String fileUri;
  private @Nullable String sha256;
  private @Nullable ErrorJson error;
  // guarded by this: a completed download's file is no longer on disk (FileCheck)
  private boolean fileMissing;
  private Instant updatedAt;
  // guarded by this: its own rate limit (bytes/s, 0: none); its host's cut allowance, or -1
  private long limitBps;
  private int hostAllowance = -1;
  // guarded by this: in a cluster, the node that runs it and that node's base URL; else null
  private @Nullable String node;
  private @Nullable String nodeUrl;
  private final String createdText;
  // guarded by the service's notification lock: the status last handed to its listeners
  private @Nullable StatusJson notified;

  ServerDownload(String id, URI uri, AddCommand options, Limits limits, Instant now) {
    this.id = id;
    this.uri = uri;
    this.options = options;
    this.updatedAt = now;
    this.createdText = iso(now);
    this.maxThreads = options.threads() == null ? limits.maxThreads()
        : Math.min(options.threads(), limits.maxThreads());
    this.chunkBytes = options.chunkBytes() == null ? limits.maxBytesPerThread()
        : Math.min(options.chunkBytes(), limits.maxBytesPerThread());
    this.fileName = options.fileName();
    this.limitBps = options.limitBps() == null ? 0 : options.limitBps();
  }

  String id() {
    return id;
  }

  synchronized URI uri() {
    return uri;
  }

  /** The URL before the last {@code update}, whose part file the next run may continue. */
  synchronized Optional<URI> formerUri() {
    return Optional.ofNullable(formerUri);
  }

  /** Takes the sources of an {@code update}: {@code newUri} (or the same) and {@code mirrors}. */
  synchronized void changeSources(URI newUri, List<String> mirrors) {
    if (!newUri.equals(uri)) {
      formerUri = uri;
      uri = newUri;
    }
    options = options.withSources(newUri.toString(), mirrors);
    updatedAt = Instant.now();
  }

  /** Claims a new run of a failed download given a new URL; 0 if not failed, or removed. */
  synchronized long claimRetry() {
    if (state != DownloadState.FAILED || removed) {
      return 0;
    }
    return nextGeneration();
  }

  synchronized AddCommand options() {
    return options;
  }

  synchronized @Nullable DownloadHandle handle() {
    return handle;
  }

  synchronized DownloadState state() {
    return state;
  }

  /** The download's own rate limit in bytes per second, 0 for none. */
  synchronized long limitBps() {
    return limitBps;
  }

  /**
   * Sets the download's own rate limit (at least 1024, or 0 for none), and its run's. The core
   * is called under this lock so that a run attached meanwhile keeps no older limit: it only
   * sets a token bucket's rate, and takes none of the server's locks.
   */
  synchronized void limitRate(long bytesPerSecond) {
    limitBps = bytesPerSecond;
    if (handle != null) {
      handle.limitRate(bytesPerSecond);
    }
  }

  synchronized int activeThreads() {
    return state == DownloadState.DOWNLOADING ? threads : 0;
  }

  /**
   * Prepares for a new handle: drops the old one and resets the progress, as a new handle starts
   * from nothing.
   *
   * @return the generation whose events count from now on
   */
  synchronized long nextGeneration() {
    generation++;
    handle = null;
    pauseRequested = false;
    state = DownloadState.QUEUED;
    size = -1;
    ranges = RangeSupport.UNKNOWN;
    finalUri = null;
    threads = 0;
    bytesDone = 0;
    bytesPerSecond = 0;
    remaining = null;
    setFile(null);
    sha256 = null;
    error = null;
    fileMissing = false;
    updatedAt = Instant.now();
    return generation;
  }

  /**
   * Claims the start of a new run for a download paused before a restart, which has no handle.
   *
   * @return the generation of the new run, or 0 if the download has a handle, is not paused, or
   *     was removed (another resume claimed it first, for example)
   */
  synchronized long claimRestart() {
    if (handle != null || state != DownloadState.PAUSED || removed) {
      return 0;
    }
    return nextGeneration();
  }

  /**
   * Takes the core's handle of a new run.
   *
   * @return what the caller must do to the handle: a pause or a cancel that came while the core
   *     was being asked to start the run found no handle, so it is passed on here. Together with
   *     {@link #requestPause()}, which returns the handle under the same lock, a pause that races
   *     with the start of a run reaches the core one way or the other.
   */
  synchronized AfterAttach attach(DownloadHandle next, long forGeneration) {
    if (generation != forGeneration) {
      return AfterAttach.NOTHING; // a newer run has started; its own handle is the one attached
    }
    if (removed || state == DownloadState.CANCELLED) {
      return AfterAttach.CANCEL;
    }
    handle = next;
    if (next.request().maxBytesPerSecond() != limitBps) {
      next.limitRate(limitBps); // updated while the core was being asked (see limitRate)
    }
    return pauseRequested ? AfterAttach.PAUSE : AfterAttach.NOTHING;
  }

  /** What to do to a handle just attached. */
  enum AfterAttach { NOTHING, PAUSE, CANCEL }

  /**
   * The file name the core chose (or the client asked for), once known: a run after a restart
   * asks for this same file, so that the core finds its part file.
   */
  synchronized @Nullable String knownFileName() {
    return fileName;
  }

  synchronized boolean accepts(long eventGeneration) {
    return !removed && generation == eventGeneration;
  }

  synchronized void markRemoved() {
    removed = true;
  }

  /**
   * Takes over what the core reported. Once the download has ended only another end counts, and
   * a terminal state is taken only from the core's end event, which carries the file, the digest
   * or the error.
   *
   * @param status the core's numbers
   * @param shown the state the event stands for, in the order the core went through them
   * @param chosenFile the file the core writes, once named
   * @return whether the state changed, and whether a field the state file keeps changed
   */
  synchronized Applied apply(DownloadStatus status, DownloadState shown,
      Optional<Path> chosenFile) {
    if (state.isTerminal()) {
      return Applied.NOTHING;
    }
    String nameBefore = fileName;
    DownloadState before = state;
    if (!shown.isTerminal()) {
      state = shownFor(shown);
    }
    if (status.ranges() != RangeSupport.UNKNOWN) {
      finalUri = status.finalUri();
    }
    size = status.size();
    ranges = status.ranges();
    threads = status.activeThreads();
    maxThreads = status.maxThreads();
    chunkBytes = status.chunkBytes();
    bytesDone = status.bytesDone();
    bytesPerSecond = status.bytesPerSecond();
    remaining = status.remaining().orElse(null);
    hostAllowance = status.hostAllowance();
    sources = status.sources();
    chosenFile.ifPresent(path -> fileName = path.getFileName().toString());
    updatedAt = Instant.now();
    boolean stateChanged = before != state;
    return new Applied(stateChanged, stateChanged || !Objects.equals(nameBefore, fileName));
  }

  /**
   * What {@link #apply} changed.
   *
   * @param stateChanged the state changed: every client must see it
   * @param storedChanged the state or the file name changed: the state file must be written, so
   *     that a restart finds the part file under the name the core chose
   */
  record Applied(boolean stateChanged, boolean storedChanged) {
    static final Applied NOTHING = new Applied(false, false);
  }

  // guarded by this: the caller holds the lock
  private DownloadState shownFor(DownloadState reported) {
    // Paused before its run was attached: the run's first events come before its pause.
    return pauseRequested ? DownloadState.PAUSED : reported;
  }

  /**
   * Shows a download that no run holds yet paused from now on; the run is paused when it is
   * attached.
   *
   * @return whether the state changed, and the handle attached at this moment, which the caller
   *     pauses if it has not already (see {@link #attach})
   */
  synchronized PauseRequest requestPause() {
    if (state.isTerminal()) {
      return new PauseRequest(false, null);
    }
    pauseRequested = true;
    DownloadState before = state;
    state = DownloadState.PAUSED;
    threads = 0;
    updatedAt = Instant.now();
    return new PauseRequest(before != state, handle);
  }

  /**
   * What {@link #requestPause()} did.
   *
   * @param stateChanged whether the state changed
   * @param handle the core's handle at that moment, or null
   */
  record PauseRequest(boolean stateChanged, @Nullable DownloadHandle handle) {}

  /** A resume is being handed to the core: a pause asked for before is over. */
  synchronized void clearPauseRequest() {
    pauseRequested = false;
  }

  synchronized boolean complete(DownloadResult result) {
    DownloadState before = state;
    state = DownloadState.COMPLETED;
    finalUri = result.finalUri();
    size = result.size();
    bytesDone = result.size();
    ranges = result.ranged() ? RangeSupport.SUPPORTED : RangeSupport.NOT_SUPPORTED;
    setFile(result.file().toAbsolutePath());
    fileName = result.file().getFileName().toString();
    sha256 = result.sha256();
    error = null;
    fileMissing = false;
    endNow();
    return before != state;
  }

  synchronized boolean fail(DownloadException cause) {
    return fail(cause.code(), cause.getMessage());
  }

  synchronized boolean fail(String code, String message) {
    DownloadState before = state;
    state = DownloadState.FAILED;
    error = new ErrorJson(code, message);
    endNow();
    return before != state;
  }

  /**
   * Marks the download cancelled, unless it already ended.
   *
   * @return whether the state changed
   */
  synchronized boolean cancelled() {
    if (state.isTerminal()) {
      return false;
    }
    state = DownloadState.CANCELLED;
    endNow();
    return true;
  }

  /** A paused download restored after a restart: paused, and no handle to pause. */
  synchronized void restoredAsPaused() {
    state = DownloadState.PAUSED;
    threads = 0;
    bytesPerSecond = 0;
    remaining = null;
  }

  /**
   * Looks whether a completed download's file is still on disk, and records the answer: a file
   * deleted or moved shows as {@code fileMissing}, one put back shows as there again.
   *
   * @return whether the answer changed
   */
  boolean checkFile() {
    Path completed;
    synchronized (this) {
      completed = state == DownloadState.COMPLETED ? file : null;
    }
    if (completed == null) {
      return false;
    }
    boolean missing = !Files.isRegularFile(completed); // not under the lock: a disk may be slow
    synchronized (this) {
      if (state != DownloadState.COMPLETED || !completed.equals(file) || missing == fileMissing) {
        return false;
      }
      fileMissing = missing;
      return true;
    }
  }

  /** @return whether the download completed and its file is gone: an add starts it anew */
  synchronized boolean fileMissing() {
    return state == DownloadState.COMPLETED && fileMissing;
  }

  /**
   * Marks the download as run by this node of a cluster: its status names the node and, once
   * completed, the URL of its file there.
   *
   * @param nodeId the node's name
   * @param baseUrl the node's base URL, ending in {@code /}
   */
  synchronized void runsOn(String nodeId, String baseUrl) {
    node = nodeId;
    nodeUrl = baseUrl;
  }

  synchronized @Nullable Path completedFile() {
    return state == DownloadState.COMPLETED ? file : null;
  }

  private void endNow() {
    handle = null;
    hostAllowance = -1;
    threads = 0;
    bytesPerSecond = 0;
    remaining = null;
    updatedAt = Instant.now();
  }

  synchronized StatusJson status() {
    boolean downloading = state == DownloadState.DOWNLOADING;
    Double progress = null;
    if (size >= 0) {
      double fraction = size == 0 ? 1.0 : Math.min(1.0, (double) bytesDone / size);
      progress = Math.floor(fraction * 10_000) / 10_000;
    }
    Long eta = downloading && remaining != null
        ? (remaining.toMillis() + 999) / 1000 : null;
    return new StatusJson(id, UrlPolicy.redact(uri), finalUri == null ? null : finalUri.toString(),
        state.name().toLowerCase(Locale.ROOT), size < 0 ? null : size,
        ranges == RangeSupport.UNKNOWN ? null : ranges == RangeSupport.SUPPORTED,
        downloading ? threads : 0, maxThreads, chunkBytes, bytesDone, progress,
        downloading ? bytesPerSecond : null, eta, fileName,
        state == DownloadState.COMPLETED ? fileUri : null,
        state == DownloadState.COMPLETED ? sha256 : null, error, createdText, iso(updatedAt),
        node, state == DownloadState.COMPLETED && nodeUrl != null ? nodeUrl + "files/" + id
            : null, state == DownloadState.COMPLETED && fileMissing,
        limitBps == 0 ? null : limitBps,
        downloading && hostAllowance > 0 ? hostAllowance : null,
        MirrorsJson.of(uri, options.mirrors(), sources, downloading));
  }

  /** Whether a status of this download has been notified; called holding the notification lock. */
  boolean notifiedYet() {
    return notified != null;
  }

  /**
   * Records {@code status} as the last one notified, unless it equals that one. Called holding
   * the service's notification lock.
   *
   * @return whether the status differs from the last one notified
   */
  boolean notifyNeeded(StatusJson status) {
    if (status.equals(notified)) {
      return false;
    }
    notified = status;
    return true;
  }

  // Called holding this.
  private void setFile(@Nullable Path value) {
    file = value;
    fileUri = value == null ? null : value.toUri().toString();
  }


  synchronized StoredDownload stored() {
    return new StoredDownload(uri.toString(), options.threads(), options.chunkBytes(),
        options.fileName(), options.sha256(), status(), options.headers(), options.dir(),
        limitBps == 0 ? null : limitBps, options.mirrors());
  }

  /**
   * Rebuilds a download from the state file.
   *
   * @param stored what was kept
   * @param limits the caps in force now
   * @return the download, in its stored state, without a handle
   * @throws IllegalArgumentException if the stored values are not valid
   */
  static ServerDownload restore(StoredDownload stored, Limits limits) {
    StatusJson s = stored.status();
    AddCommand options = new AddCommand(stored.url(), stored.threads(), stored.chunkBytes(),
        stored.fileName(), stored.expectedSha256(),
        Objects.requireNonNullElse(stored.headers(), Map.of()), stored.dir(), stored.limitBps(),
        Objects.requireNonNullElse(stored.mirrors(), List.of()));
    ServerDownload d = new ServerDownload(s.id(), URI.create(stored.url()), options, limits,
        Instant.parse(s.createdAt()));
    synchronized (d) {
      d.state = DownloadState.valueOf(s.state().toUpperCase(Locale.ROOT));
      d.finalUri = s.finalUrl() == null ? null : URI.create(s.finalUrl());
      d.size = s.size() == null ? -1 : s.size();
      d.ranges = s.rangesSupported() == null ? RangeSupport.UNKNOWN
          : s.rangesSupported() ? RangeSupport.SUPPORTED : RangeSupport.NOT_SUPPORTED;
      d.bytesDone = s.bytesDone();
      d.fileName = s.fileName();
      d.setFile(s.file() == null ? null : Path.of(URI.create(s.file())));
      d.sha256 = s.sha256();
      d.error = s.error();
      d.fileMissing = s.fileMissing();
      d.updatedAt = Instant.parse(s.updatedAt());
      d.sources = MirrorsJson.sources(s.mirrors());
    }
    return d;
  }

  /** The ISO text of one second, shared by every download: formatting an instant is costly. */
  private record IsoSecond(long epochSecond, String text) {}

  private static volatile IsoSecond lastIso = new IsoSecond(Long.MIN_VALUE, "");

  private static String iso(Instant instant) {
    IsoSecond last = lastIso;
    if (last.epochSecond() != instant.getEpochSecond()) {
      last = new IsoSecond(instant.getEpochSecond(),
          instant.truncatedTo(ChronoUnit.SECONDS).toString());
      lastIso = last;
    }
    return last.text();
  }
}
