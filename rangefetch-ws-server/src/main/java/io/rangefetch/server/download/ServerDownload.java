package io.rangefetch.server.download;

import io.rangefetch.DownloadException;
import io.rangefetch.DownloadHandle;
import io.rangefetch.DownloadResult;
import io.rangefetch.DownloadState;
import io.rangefetch.DownloadStatus;
import io.rangefetch.Limits;
import io.rangefetch.server.protocol.AddCommand;
import io.rangefetch.server.protocol.StatusJson;
import io.rangefetch.server.protocol.StatusJson.ErrorJson;
import io.rangefetch.server.protocol.StoredDownload;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * One download of the server: what was asked for and the runs of the core that fetch it (the
 * handle of the current one, its generation, a pause asked for before it exists). What clients
 * see of it is its {@link ShownStatus}. It outlives its handle: a restart or a resume after a
 * restart starts a new one. Thread-safe: every field below the constructor's is guarded by
 * {@code this}.
 */
final class ServerDownload {
  private final String id;
  // Guarded by this: an update replaces them; formerUri is the URL whose part file the next
  // run may continue (the one before the first update since a run last took it).
  private URI uri;
  private AddCommand options;
  private @Nullable URI formerUri;
  // guarded by this: a run has been given formerUri since it was set
  private boolean formerTaken;

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
  // guarded by this: what clients see: the state, the core's last status, the end of a run
  private final ShownStatus shown;
  // guarded by this: its own rate limit (bytes/s, 0: none)
  private long limitBps;
  // guarded by this: in a cluster, the node that runs it and that node's base URL; else null
  private @Nullable String node;
  private @Nullable String nodeUrl;
  // guarded by the service's notification lock: the status last handed to its listeners
  private @Nullable StatusJson notified;

  ServerDownload(String id, URI uri, AddCommand options, Limits limits, Instant now) {
    this(id, uri, options, ShownStatus.added(uri, options, limits, now));
  }

  private ServerDownload(String id, URI uri, AddCommand options, ShownStatus shown) {
    this.id = id;
    this.uri = uri;
    this.options = options;
    this.shown = shown;
    this.limitBps = options.limitBps() == null ? 0 : options.limitBps();
  }

  String id() {
    return id;
  }

  synchronized URI uri() {
    return uri;
  }

  /**
   * The URL whose part file the next run may continue: the one before the first
   * {@code update} since a run last took it. Taking it marks it taken, so that a later update
   * names the URL that run wrote under.
   */
  synchronized Optional<URI> takeFormerUri() {
    formerTaken = formerUri != null;
    return Optional.ofNullable(formerUri);
  }

  /** Takes the sources of an {@code update}: {@code newUri} (or the same) and {@code mirrors}. */
  synchronized void changeSources(URI newUri, List<String> mirrors) {
    if (!newUri.equals(uri)) {
      // Two updates before a run: the part file is still the first URL's.
      if (formerUri == null || formerTaken) {
        formerUri = uri;
        formerTaken = false;
      }
      uri = newUri;
    }
    options = options.withSources(newUri.toString(), mirrors);
    shown.touch();
  }

  /** Claims a new run of a failed download given a new URL; 0 if not failed, or removed. */
  synchronized long claimRetry() {
    if (shown.state() != DownloadState.FAILED || removed) {
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
    return shown.state();
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
    return shown.activeThreads();
  }

  /**
   * Prepares for a new handle: drops the old one and shows the download queued, as a new handle
   * starts from nothing.
   *
   * @return the generation whose events count from now on
   */
  synchronized long nextGeneration() {
    generation++;
    handle = null;
    pauseRequested = false;
    shown.restart(uri);
    return generation;
  }

  /**
   * Claims the start of a new run for a download paused before a restart, which has no handle.
   *
   * @return the generation of the new run, or 0 if the download has a handle, is not paused, or
   *     was removed (another resume claimed it first, for example)
   */
  synchronized long claimRestart() {
    if (handle != null || shown.state() != DownloadState.PAUSED || removed) {
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
    if (removed || shown.state() == DownloadState.CANCELLED) {
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
    return shown.fileName();
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
   * @param reported the state the event stands for, in the order the core went through them
   * @param chosenFile the file the core writes, once named
   * @return whether the state changed, and whether a field the state file keeps changed
   */
  synchronized Applied apply(DownloadStatus status, DownloadState reported,
      Optional<Path> chosenFile) {
    // Paused before its run was attached: the run's first events come before its pause.
    return shown.apply(status, pauseRequested && !reported.isTerminal() ? DownloadState.PAUSED
        : reported, chosenFile);
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

  /**
   * Shows a download that no run holds yet paused from now on; the run is paused when it is
   * attached.
   *
   * @return whether the state changed, and the handle attached at this moment, which the caller
   *     pauses if it has not already (see {@link #attach})
   */
  synchronized PauseRequest requestPause() {
    if (shown.state().isTerminal()) {
      return new PauseRequest(false, null);
    }
    pauseRequested = true;
    return new PauseRequest(shown.pause(), handle);
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
    handle = null;
    return shown.complete(result);
  }

  synchronized boolean fail(DownloadException cause) {
    return fail(cause.code(), cause.getMessage());
  }

  synchronized boolean fail(String code, String message) {
    handle = null;
    return shown.fail(new ErrorJson(code, message));
  }

  /**
   * Marks the download cancelled, unless it already ended.
   *
   * @return whether the state changed
   */
  synchronized boolean cancelled() {
    if (shown.state().isTerminal()) {
      return false;
    }
    handle = null;
    return shown.cancel();
  }

  /**
   * Looks whether a completed download's file is still on disk, and records the answer: a file
   * deleted or moved shows as {@code fileMissing}, one put back shows as there again.
   *
   * @return whether the answer changed
   */
  boolean checkFile() {
    Path completed = completedFile();
    if (completed == null) {
      return false;
    }
    boolean missing = !Files.isRegularFile(completed); // not under the lock: a disk may be slow
    synchronized (this) {
      return shown.fileChecked(completed, missing);
    }
  }

  /** @return whether the download completed and its file is gone: an add starts it anew */
  synchronized boolean fileMissing() {
    return shown.fileMissing();
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
    return shown.completedFile();
  }

  synchronized StatusJson status() {
    return shown.json(id, uri, options.mirrors(), node, nodeUrl, limitBps);
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

  synchronized StoredDownload stored() {
    return new StoredDownload(uri.toString(), options.threads(), options.chunkBytes(),
        options.fileName(), options.sha256(), status(), options.headers(), options.dir(),
        limitBps == 0 ? null : limitBps, options.mirrors(),
        formerUri == null ? null : formerUri.toString());
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
    URI uri = URI.create(stored.url());
    ServerDownload download = new ServerDownload(s.id(), uri, options,
        ShownStatus.restored(s, uri, options, limits));
    String formerUrl = stored.formerUrl();
    if (formerUrl != null) {
      download.formerUri = URI.create(formerUrl); // not shared yet: no lock needed
    }
    download.node = s.node(); // in a cluster, until a node claims it (runsOn)
    return download;
  }
}
