package io.rangefetch.server.download;

import io.rangefetch.DownloadException;
import io.rangefetch.DownloadHandle;
import io.rangefetch.DownloadListener;
import io.rangefetch.DownloadRequest;
import io.rangefetch.DownloadResult;
import io.rangefetch.DownloadState;
import io.rangefetch.DownloadStatus;
import io.rangefetch.IfExists;
import io.rangefetch.Probe;
import io.rangefetch.RangeDownloader;
import io.rangefetch.server.DaemonThreads;
import io.rangefetch.server.protocol.AddCommand;
import io.rangefetch.server.protocol.CommandException;
import io.rangefetch.server.protocol.ErrorCode;
import io.rangefetch.server.protocol.StateFile;
import io.rangefetch.server.protocol.StatusJson;
import io.rangefetch.server.protocol.StoredDownload;
import io.rangefetch.server.protocol.UpdateCommand;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The commands of the protocol over the server's downloads, run by one shared
 * {@link RangeDownloader}. Downloads belong to the server, not to the session that added them.
 * Thread-safe.
 *
 * <p>Lock order: the store, then this service, then one download. Calls into the core and to
 * listeners are made holding none of them.
 */
public final class DownloadService implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DownloadService.class);
  private static final int CANCEL_WAIT_SECONDS = 10;
  /** The core's suffix of a file being written. */
  private static final String PART_SUFFIX = ".part";
  /** The core's suffix of a part file's control file. */
  private static final String CONTROL_SUFFIX = ".rangefetch";
  /** The core's suffix of a part file's live record (what was written, trusted in one boot). */
  private static final String LIVE_SUFFIX = ".rangefetch-live";
  /**
   * How long a change of progress may wait before it is pushed. The protocol allows about 10
   * progress pushes per second per download; waiting, rather than pushing the first at once,
   * lets a change of state that comes meanwhile carry the progress too: a small download then
   * costs its clients one frame less (its 100 % comes with {@code completed}).
   */
  private static final long PROGRESS_PUSH_DELAY_MS = 100;

  private final RangeDownloader downloader;
  private final Path downloadDir;
  private final int maxDownloads;
  private final UrlPolicy urlPolicy;
  private final SourceUpdates sourceUpdates;
  private final DownloadStore store;
  // in cluster mode, where the list and the queue live instead of the store; else null
  private final @Nullable SharedStore shared;
  // ids of downloads paused because the database was lost (SharedStore.Node#park); guarded by it
  private final Set<String> parked = new LinkedHashSet<>();
  private final DownloadRegistry registry = new DownloadRegistry();
  private final List<StatusListener> listeners = new CopyOnWriteArrayList<>();
  // Every notification takes its status and hands it to the listeners under this lock, so the
  // listeners see the statuses of one download in the order they were taken: the last push is
  // the latest status. Listeners only queue frames, so the lock is held briefly.
  private final Object notifyLock = new Object();
  // guarded by notifyLock: downloads whose progress changed since their last push; pushed
  // together within PROGRESS_PUSH_DELAY_MS, or at once with their next change of state
  private final Set<ServerDownload> progressDue = new LinkedHashSet<>();
  // guarded by notifyLock
  private boolean progressFlushScheduled;
  private final ScheduledExecutorService progressTimer = Executors.newSingleThreadScheduledExecutor(
      DaemonThreads.named("rangefetch-progress-push"));
  // written by close(): once set, events of the core no longer change the list, so the state
  // file keeps the downloads that were running as running, to start them again
  private volatile boolean closing;

  /**
   * Creates the service; {@link #start()} loads the state file.
   *
   * @param downloader the shared downloader, whose limits cap every download
   * @param downloadDir the absolute, normalised directory of files and state file
   * @param maxDownloads the most downloads kept, finished ones included
   * @param urlPolicy which URLs are accepted
   */
  public DownloadService(RangeDownloader downloader, Path downloadDir, int maxDownloads,
      UrlPolicy urlPolicy) {
    this(downloader, downloadDir, maxDownloads, urlPolicy, null);
  }

  /**
   * Creates the service of one node of a cluster: the list and the queue live in
   * {@code shared}, and this node runs the downloads it claims there. {@link #start()} connects.
   *
   * @param downloader the shared downloader, whose limits cap every download and the downloads
   *     this node claims at once
   * @param downloadDir the absolute, normalised directory of this node's files
   * @param maxDownloads the most downloads the cluster keeps, finished ones included
   * @param urlPolicy which URLs are accepted
   * @param shared the cluster's store, or null for the local state file
   */
  public DownloadService(RangeDownloader downloader, Path downloadDir, int maxDownloads,
      UrlPolicy urlPolicy, @Nullable SharedStore shared) {
    this.downloader = Objects.requireNonNull(downloader, "downloader");
    this.downloadDir = Objects.requireNonNull(downloadDir, "downloadDir");
    this.maxDownloads = maxDownloads;
    this.urlPolicy = Objects.requireNonNull(urlPolicy, "urlPolicy");
    this.store = new DownloadStore(downloadDir, registry);
    this.shared = shared;
    this.sourceUpdates = new SourceUpdates(urlPolicy, registry,
        (download, generation) -> launch(download, generation, true), d -> ended(d, true));
  }

  /**
   * Registers a listener for every change.
   *
   * @param listener the listener
   */
  public void addListener(StatusListener listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
  }

  /**
   * Creates the download directory and restores the list of the last run: completed downloads
   * keep their files (or fail if the file is gone), running ones start again and the core
   * continues them from their part files, paused ones stay paused.
   *
   * @throws IOException if the download directory cannot be created
   */
  public void start() throws IOException {
    Files.createDirectories(downloadDir);
    if (shared != null) {
      shared.start(new ClusterNode());
      return;
    }
    StateFile state = store.load();
    List<ServerDownload> restored = new ArrayList<>();
    for (StoredDownload stored : state.downloads()) {
      try {
        restored.add(ServerDownload.restore(stored, downloader.limits()));
      } catch (RuntimeException e) {
        LOG.error("skipping download {} of the state file: {}", stored.status().id(),
            e.getMessage());
      }
    }
    registry.restore(state.nextId(), restored);
    for (ServerDownload d : restored) {
      switch (d.state()) {
        case COMPLETED -> d.failIfFileMissing();
        case QUEUED, PROBING, DOWNLOADING -> {
          LOG.info("download {} was {} when the server stopped; starting it again", d.id(),
              d.state().name().toLowerCase(Locale.ROOT));
          run(d, true);
        }
        case PAUSED -> d.restoredAsPaused();
        case FAILED, CANCELLED -> { }
      }
    }
    store.compact();
  }

  /**
   * Starts a download, or returns the one with the same URL that is not failed or cancelled.
   *
   * @param command the fields of the {@code add}
   * @return the download
   * @throws CommandException {@code bad_url}, {@code bad_request} for a bad file name,
   *     {@code limit} when the server keeps too many downloads
   */
  public StatusJson add(AddCommand command) {
    Objects.requireNonNull(command, "command");
    URI uri = urlPolicy.check(command.url());
    SourceUpdates.checkMirrors(urlPolicy, uri, command.mirrors());
    FileNames.target(downloadDir, command.fileName());
    if (shared != null) {
      return addShared(uri, command);
    }
    ServerDownload download;
    synchronized (this) {
      var existing = registry.findReusable(uri.toString());
      if (existing.isPresent()) {
        return existing.get().status();
      }
      if (registry.size() >= maxDownloads) {
        throw new CommandException(ErrorCode.LIMIT, "the server keeps at most " + maxDownloads
            + " downloads; remove finished ones with {\"op\":\"remove\",\"id\":\"...\"} first");
      }
      download = new ServerDownload(registry.newId(), uri, command, downloader.limits(),
          Instant.now());
      registry.add(download);
    }
    run(download, false);
    persist(download);
    notifyChanged(download, true);
    return download.status();
  }

  /** Queues the download in the cluster; the first node with a free slot claims it. */
  private StatusJson addShared(URI uri, AddCommand command) {
    SharedStore.Added added = shared.add(uri.toString(),
        id -> new ServerDownload(id, uri, command, downloader.limits(), Instant.now()).stored(),
        maxDownloads);
    if (added.created()) {
      synchronized (notifyLock) {
        // Unless the node that claimed it has already told a later status, pushed meanwhile.
        if (added.status().equals(shared.get(added.status().id()).orElse(null))) {
          tell(added.status(), true);
        }
      }
    }
    return added.status();
  }

  /**
   * Runs {@code action} with the list of downloads while no change is notified, so a client can
   * take the list and subscribe without missing or reordering a change.
   *
   * @param action receives the statuses, newest first
   */
  public void withListSnapshot(Consumer<List<StatusJson>> action) {
    synchronized (notifyLock) {
      action.accept(list());
    }
  }

  /**
   * Runs {@code action} with the download's status as it is now, while no change is notified, so
   * that a reply built from it is queued in order with the pushes of the same download.
   *
   * @param last the status a command returned; used as it is if the download has been removed
   *     meanwhile
   * @param action receives the current status
   */
  public void withCurrentStatus(StatusJson last, Consumer<StatusJson> action) {
    synchronized (notifyLock) {
      action.accept(shared != null ? shared.get(last.id()).orElse(last)
          : registry.get(last.id()).map(ServerDownload::status).orElse(last));
    }
  }

  /**
   * Returns every download, newest first.
   *
   * @return the statuses
   */
  public List<StatusJson> list() {
    if (shared != null) {
      return shared.list();
    }
    return registry.newestFirst().stream().map(ServerDownload::status).toList();
  }

  /**
   * Returns one download.
   *
   * @param id its id
   * @return its status
   * @throws CommandException {@code not_found}
   */
  public StatusJson get(String id) {
    if (shared != null) {
      return shared.get(id).orElseThrow(() -> notFound(id));
    }
    return find(id).status();
  }

  /**
   * Pauses a queued or running download. Pausing a paused one does nothing.
   *
   * @param id its id
   * @return its status after the pause
   * @throws CommandException {@code not_found}, {@code conflict} if it has ended
   */
  public StatusJson pause(String id) {
    if (elsewhere(id)) {
      return shared.command(SharedStore.Op.PAUSE, id);
    }
    return pauseHere(id);
  }

  private StatusJson pauseHere(String id) {
    ServerDownload download = find(id);
    refuseIfEnded(download, "pause");
    DownloadHandle handle = download.handle();
    if (handle != null) {
      try {
        handle.pause();
      } catch (IllegalStateException e) {
        throw conflict(download, "pause");
      }
    }
    ServerDownload.PauseRequest request = download.requestPause();
    DownloadHandle attached = request.handle();
    if (attached != null && attached != handle) {
      // A run started between the two looks: its handle was attached before the request, so
      // attach() did not see it; pause it here.
      pauseQuietly(download, attached);
    }
    // Recorded even when the core's own pause event showed it paused first: that event is only
    // recorded a moment later (DownloadStore#putSoon), and a pause acknowledged to the client must survive a crash.
    persist(download);
    notifyChanged(download, request.stateChanged());
    return download.status();
  }

  /**
   * Resumes a paused download. A download paused before a restart is started again with the same
   * URL and target, and the core continues it from its part file. Resuming a running one does
   * nothing.
   *
   * @param id its id
   * @return its status after the resume
   * @throws CommandException {@code not_found}, {@code conflict} if it has ended
   */
  public StatusJson resume(String id) {
    if (elsewhere(id)) {
      return shared.command(SharedStore.Op.RESUME, id);
    }
    return resumeHere(id);
  }

  private StatusJson resumeHere(String id) {
    ServerDownload download = find(id);
    refuseIfEnded(download, "resume");
    DownloadHandle handle = download.handle();
    if (handle == null) {
      // Claimed under the download's lock: two resumes at once start one run, not two writing
      // the same part file.
      long generation = download.claimRestart();
      if (generation > 0) {
        launch(download, generation, true);
        persist(download);
        notifyChanged(download, true);
      }
      return download.status();
    }
    // Marked before the core hears of it: the core's acknowledgement (downloadResumed) and the
    // pause's late events may then arrive at any moment and still find the resume recorded.
    download.requestResume();
    try {
      handle.resume();
    } catch (IllegalStateException e) {
      throw conflict(download, "resume");
    }
    update(download, handle);
    persist(download);
    return download.status();
  }

  /**
   * Gives a download a new URL for the same file, or other mirrors: see {@link SourceUpdates}.
   *
   * @throws CommandException {@code not_found}, {@code bad_url}, {@code bad_request}, {@code conflict}
   */
  public StatusJson update(String id, UpdateCommand command) {
    return sourceUpdates.apply(elsewhere(id) ? null : find(id), id, command);
  }

  /**
   * Cancels a download; the core deletes its partial file. Cancelling a cancelled one does
   * nothing.
   *
   * @param id its id
   * @return its status, {@code cancelled}
   * @throws CommandException {@code not_found}, {@code conflict} if it completed or failed
   */
  public StatusJson cancel(String id) {
    if (elsewhere(id)) {
      return shared.command(SharedStore.Op.CANCEL, id);
    }
    return cancelHere(id);
  }

  private StatusJson cancelHere(String id) {
    ServerDownload download = find(id);
    DownloadState state = download.state();
    if (state == DownloadState.COMPLETED || state == DownloadState.FAILED) {
      throw conflict(download, "cancel");
    }
    stop(download);
    return download.status();
  }

  /**
   * Forgets a download, cancelling it first if it runs. A completed file stays on disk.
   *
   * @param id its id
   * @return its last status
   * @throws CommandException {@code not_found}
   */
  public StatusJson remove(String id) {
    if (elsewhere(id)) {
      return shared.command(SharedStore.Op.REMOVE, id);
    }
    return removeHere(id);
  }

  private StatusJson removeHere(String id) {
    ServerDownload download = find(id);
    stop(download);
    download.markRemoved();
    if (!registry.remove(id)) {
      throw notFound(id);
    }
    if (shared != null) {
      shared.removedHere(id);
    } else {
      store.removed(id);
    }
    synchronized (notifyLock) {
      progressDue.remove(download); // else a late progress push would bring it back
      tellRemoved(id);
    }
    return download.status();
  }

  // Called holding notifyLock.
  private void tellRemoved(String id) {
    for (StatusListener listener : listeners) {
      try {
        listener.removed(id);
      } catch (RuntimeException e) {
        LOG.error("a status listener failed on the removal of download {}", id, e);
      }
    }
  }

  /**
   * Returns the file of a completed download, for {@code GET /files/{id}}.
   *
   * @param id the download's id
   * @return the file, or null if the download is unknown or not completed
   */
  public @Nullable Path completedFile(String id) {
    return registry.get(id).map(ServerDownload::completedFile).orElse(null);
  }

  /**
   * Counts the downloads by state, for metrics.
   *
   * @return a count for every state
   */
  public Map<DownloadState, Integer> countByState() {
    Map<DownloadState, Integer> counts = new EnumMap<>(DownloadState.class);
    for (DownloadState s : DownloadState.values()) {
      counts.put(s, 0);
    }
    for (ServerDownload d : registry.oldestFirst()) {
      counts.merge(d.state(), 1, Integer::sum);
    }
    return counts;
  }

  /**
   * Sums the workers fetching right now, for metrics.
   *
   * @return the number of active threads of all downloads
   */
  public int activeThreads() {
    return registry.oldestFirst().stream().mapToInt(ServerDownload::activeThreads).sum();
  }

  /**
   * Saves the list, then stops every download. The state file keeps running downloads as
   * running, so the next start begins them again; the core keeps their part files, which it
   * continues then.
   */
  @Override
  public void close() {
    // Set first: events of the downloads being stopped no longer change the list written here.
    closing = true;
    progressTimer.shutdownNow();
    if (shared != null) {
      // The downloader first: no byte is written once the store hands the downloads back.
      downloader.close();
      shared.close();
      return;
    }
    store.close();
    downloader.close();
  }

  /** Whether commands for {@code id} go to the cluster: this node does not hold it. */
  private boolean elsewhere(String id) {
    return shared != null && !(shared.runsHere(id) && registry.get(id).isPresent());
  }

  private void stop(ServerDownload download) {
    DownloadHandle handle = download.handle();
    if (handle != null) {
      handle.cancel();
      awaitEnd(handle);
      DownloadState after = handle.status().state();
      if (after == DownloadState.COMPLETED || after == DownloadState.FAILED) {
        return; // it ended before the cancel came: the core's end event tells the rest
      }
    }
    if (download.cancelled()) {
      if (handle == null) {
        // Paused before a restart: no core download holds its part file, so delete it here,
        // as the core does on a cancel.
        deletePartFiles(download);
      }
      persist(download);
      notifyChanged(download, true);
    }
  }

  private void deletePartFiles(ServerDownload download) {
    String name = download.knownFileName();
    if (name == null) {
      return;
    }
    Path file;
    try {
      file = FileNames.target(downloadDir, name);
    } catch (CommandException e) {
      return;
    }
    for (String suffix : List.of(PART_SUFFIX, PART_SUFFIX + CONTROL_SUFFIX,
        PART_SUFFIX + CONTROL_SUFFIX + ".tmp", PART_SUFFIX + LIVE_SUFFIX)) {
      try {
        Files.deleteIfExists(file.resolveSibling(name + suffix));
      } catch (IOException e) {
        LOG.warn("download {}: cannot delete {}{}: {}", download.id(), file, suffix,
            e.getMessage());
      }
    }
  }

  /**
   * Waits a little for the core to stop the workers and delete the partial file, so that a
   * client told "cancelled" finds no partial file. The workers' connections are aborted, so this
   * takes milliseconds; a core that needs longer finishes on its own.
   */
  private static void awaitEnd(DownloadHandle handle) {
    try {
      handle.result().handle((result, failure) -> null).get(CANCEL_WAIT_SECONDS, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      LOG.warn("download {} did not stop within {} s of its cancel; it will stop on its own",
          handle.id(), CANCEL_WAIT_SECONDS);
    }
  }

  /**
   * Starts a new run of the core for {@code download}.
   *
   * @param again whether the download ran in an earlier process (restored from the state file):
   *     then the core is asked for the same file as then, so it finds the part file
   */
  private void run(ServerDownload download, boolean again) {
    launch(download, download.nextGeneration(), again);
  }

  private void launch(ServerDownload download, long generation, boolean again) {
    AddCommand options = download.options();
    Target target = again ? targetAgain(download)
        : new Target(FileNames.target(downloadDir, options.fileName()), IfExists.RENAME);
    DownloadRequest.Builder request = DownloadRequest
        .newBuilder(download.uri(), target.path())
        .ifExists(target.ifExists())
        .listener(new Events(download, generation));
    if (options.threads() != null) {
      request.threads(options.threads());
    }
    if (options.chunkBytes() != null) {
      request.chunkBytes(options.chunkBytes());
    }
    if (options.sha256() != null) {
      request.sha256(options.sha256());
    }
    options.headers().forEach(request::header);
    options.mirrors().forEach(mirror -> request.mirror(URI.create(mirror)));
    download.formerUri().ifPresent(request::formerUri);
    DownloadHandle handle;
    try {
      handle = downloader.start(request.build());
    } catch (RuntimeException e) {
      LOG.error("download {}: the downloader refused to start it", download.id(), e);
      download.fail("internal", "the server could not start this download (" + e.getMessage()
          + "); add the URL again, and report it if it keeps happening");
      return;
    }
    switch (download.attach(handle, generation)) {
      // Paused while the core was being asked to start it.
      case PAUSE -> pauseQuietly(download, handle);
      // Cancelled, removed or started again meanwhile: this run is nobody's.
      case CANCEL -> handle.cancel();
      case NOTHING -> { }
    }
  }

  private static void pauseQuietly(ServerDownload download, DownloadHandle handle) {
    try {
      handle.pause();
    } catch (IllegalStateException e) {
      LOG.debug("download {} ended before its pause reached the core", download.id());
    }
  }

  /** Where a run writes, and what the core does if the file is there. */
  private record Target(Path path, IfExists ifExists) {}

  /**
   * The target of a download that ran before a restart. Once the core had chosen a file, the same
   * file is asked for again, not the directory: a directory target would let the core choose
   * anew, and a name it now finds free (a file deleted meanwhile) would leave the part file
   * behind. If the final file is not there but its part file is, that part file is this
   * download's own (the state file says so; no other download of this server has the name): the
   * core may take it over ({@link IfExists#OVERWRITE}), and continues it if its control file
   * matches, or starts over in it if not (a control file missing, garbled, of a changed remote
   * file). Under {@link IfExists#RENAME} the core would count such a part file as taken and write
   * a numbered file beside it, leaving the part file there.
   */
  private Target targetAgain(ServerDownload download) {
    String name = download.knownFileName();
    if (name == null) {
      return new Target(downloadDir, IfExists.RENAME);
    }
    Path file;
    try {
      file = FileNames.target(downloadDir, name);
    } catch (CommandException e) {
      LOG.warn("download {}: the state file names the file \"{}\", which is not a plain name;"
          + " letting the downloader choose one", download.id(), name);
      return new Target(downloadDir, IfExists.RENAME);
    }
    Path part = file.resolveSibling(name + PART_SUFFIX);
    boolean ownPart = !Files.exists(file, LinkOption.NOFOLLOW_LINKS)
        && Files.isRegularFile(part, LinkOption.NOFOLLOW_LINKS)
        && registry.oldestFirst().stream().noneMatch(other -> other != download
            && !other.state().isTerminal() && name.equals(other.knownFileName()));
    return new Target(file, ownPart ? IfExists.OVERWRITE : IfExists.RENAME);
  }

  private void update(ServerDownload download, DownloadHandle handle) {
    DownloadStatus now = handle.status();
    update(download, handle, now, now.state());
  }

  private void update(ServerDownload download, DownloadHandle handle, DownloadStatus status,
      DownloadState shown) {
    ServerDownload.Applied applied = download.apply(status, shown, handle.file());
    if (applied.storedChanged()) {
      persistSoon(download);
    }
    notifyChanged(download, applied.stateChanged());
  }

  private void ended(ServerDownload download, boolean stateChanged) {
    if (stateChanged) {
      persist(download);
      notifyChanged(download, true);
    }
  }

  /**
   * Records the download a moment later, once for all its changes until then
   * ({@link DownloadStore#putSoon}): for the core's own steps (queued, probing, downloading, the
   * file named), which a crash may lose without harm, as the download restarts from its part
   * file in the state before. Commands and endings are recorded at once ({@link #persist}),
   * before the reply or the push.
   */
  private void persistSoon(ServerDownload download) {
    if (closing) {
      return;
    }
    if (shared != null) {
      shared.record(download.id(), download::stored, false);
    } else {
      store.putSoon(download);
    }
  }

  /** Records the download's state now, in the journal (see {@link DownloadStore}). */
  private void persist(ServerDownload download) {
    if (closing) {
      return;
    }
    if (shared != null) {
      shared.record(download.id(), download::stored, true);
    } else {
      store.put(download);
    }
  }

  private void notifyChanged(ServerDownload download, boolean stateChanged) {
    synchronized (notifyLock) {
      // A download's first status is its announcement (queued), pushed at once like a change of
      // state, whichever comes first: the add's notification or the core's first event.
      if (stateChanged || !download.notifiedYet()) {
        progressDue.remove(download);
        notifyNow(download, true);
      } else if (progressDue.add(download) && !progressFlushScheduled) {
        progressFlushScheduled = true;
        try {
          progressTimer.schedule(this::pushDueProgress, PROGRESS_PUSH_DELAY_MS,
              TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
          progressFlushScheduled = false; // closing: nobody is told any more
        }
      }
    }
  }

  private void pushDueProgress() {
    synchronized (notifyLock) {
      progressFlushScheduled = false;
      for (ServerDownload download : progressDue) {
        notifyNow(download, false);
      }
      progressDue.clear();
    }
  }

  // Called holding notifyLock.
  private void notifyNow(ServerDownload download, boolean stateChanged) {
    StatusJson status = download.status();
    if (!download.notifyNeeded(status)) {
      return; // the same status again: two events of the core that changed nothing visible
    }
    if (shared != null) {
      shared.changedHere(status);
    }
    tell(status, stateChanged);
  }

  // Called holding notifyLock.
  private void tell(StatusJson status, boolean stateChanged) {
    for (StatusListener listener : listeners) {
      try {
        listener.changed(status, stateChanged);
      } catch (RuntimeException e) {
        LOG.error("a status listener failed on download {}", status.id(), e);
      }
    }
  }

  private ServerDownload find(String id) {
    return registry.get(id).orElseThrow(() -> notFound(id));
  }

  private static void refuseIfEnded(ServerDownload download, String op) {
    if (download.state().isTerminal()) {
      throw conflict(download, op);
    }
  }

  private static CommandException conflict(ServerDownload download, String op) {
    String state = download.state().name().toLowerCase(Locale.ROOT);
    return new CommandException(ErrorCode.CONFLICT, "download " + download.id() + " is " + state
        + ", so it cannot " + op + "; " + switch (op) {
          case "cancel" -> "use remove to take it off the list";
          default -> "add the URL again to download it anew";
        });
  }

  private static CommandException notFound(String id) {
    return new CommandException(ErrorCode.NOT_FOUND, "no download has id \"" + id
        + "\"; send {\"op\":\"list\"} to see the ids");
  }

  /** The events of one handle of one download, turned into status changes. */
  private final class Events implements DownloadListener {
    private final ServerDownload download;
    private final long generation;

    Events(ServerDownload download, long generation) {
      this.download = download;
      this.generation = generation;
    }

    private boolean current() {
      return !closing && download.accepts(generation);
    }

    // Each event stands for the state the core was in when it fired; the events of one
    // download come in order, so clients see the states in the order the core went through.
    private void changed(DownloadHandle handle, DownloadStatus status, DownloadState shown) {
      if (current()) {
        update(download, handle, status, shown);
      }
    }

    @Override
    public void downloadQueued(DownloadHandle handle) {
      changed(handle, handle.status(), DownloadState.QUEUED);
    }

    @Override
    public void probeStart(DownloadHandle handle) {
      changed(handle, handle.status(), DownloadState.PROBING);
    }

    @Override
    public void probeEnd(DownloadHandle handle, Probe probe) {
      changed(handle, handle.status(), DownloadState.DOWNLOADING);
    }

    @Override
    public void progress(DownloadHandle handle, DownloadStatus status) {
      changed(handle, status, status.state());
    }

    @Override
    public void downloadContinued(DownloadHandle handle, long bytesOnDisk) {
      if (current()) {
        LOG.info("download {}: continuing {} from {} bytes already on disk", download.id(),
            handle.file().map(Path::toString).orElse("its file"), bytesOnDisk);
      }
    }

    @Override
    public void downloadPaused(DownloadHandle handle) {
      changed(handle, handle.status(), DownloadState.PAUSED);
    }

    @Override
    public void downloadResumed(DownloadHandle handle) {
      if (current()) {
        download.resumeAcknowledged();
      }
      changed(handle, handle.status(), DownloadState.QUEUED);
    }

    @Override
    public void downloadEnd(DownloadHandle handle, DownloadResult result) {
      if (current()) {
        ended(download, download.complete(result));
      }
    }

    @Override
    public void downloadFailed(DownloadHandle handle, DownloadException cause) {
      if (current()) {
        ended(download, download.fail(cause));
      }
    }

    @Override
    public void downloadCancelled(DownloadHandle handle) {
      if (current()) {
        ended(download, download.cancelled());
      }
    }
  }

  /** This service as a node of a cluster sees it ({@link SharedStore.Node}). */
  private final class ClusterNode implements SharedStore.Node {
    @Override
    public void runClaimed(StoredDownload stored) {
      if (closing) {
        return; // the store hands it back to the queue when it closes
      }
      String id = stored.status().id();
      ServerDownload known = registry.get(id).orElse(null);
      if (known != null) {
        DownloadHandle handle = known.handle();
        if (handle != null && !known.state().isTerminal()) {
          // Parked when the database was lost, and claimed back: its run is still in the core.
          LOG.info("download {}: claimed back; resuming its run", id);
          resumeHere(id);
          return;
        }
        registry.remove(id); // an older run of this node: the record is newer
      }
      ServerDownload download;
      try {
        download = ServerDownload.restore(stored, downloader.limits());
      } catch (RuntimeException e) {
        LOG.error("download {}: its record in the database is not valid ({}); skipping it", id,
            e.getMessage());
        return;
      }
      download.runsOn(shared.nodeId(), shared.nodeUrl());
      registry.add(download);
      LOG.debug("download {}: claimed by node {} ({} bytes recorded)", id, shared.nodeId(),
          stored.status().bytesDone());
      run(download, true);
      persist(download);
      notifyChanged(download, true);
    }

    @Override
    public int activeHere() {
      int active = 0;
      for (ServerDownload d : registry.oldestFirst()) {
        DownloadState state = d.state();
        if (!state.isTerminal() && state != DownloadState.PAUSED && shared.runsHere(d.id())) {
          active++;
        }
      }
      return active;
    }

    @Override
    public StatusJson commandHere(SharedStore.Op op, String id) {
      return switch (op) {
        case PAUSE -> pauseHere(id);
        case RESUME -> resumeHere(id);
        case CANCEL -> cancelHere(id);
        case REMOVE -> removeHere(id);
      };
    }

    @Override
    public boolean hasHere(String id) {
      return registry.get(id).isPresent();
    }

    @Override
    public void park() {
      for (ServerDownload d : registry.oldestFirst()) {
        DownloadHandle handle = d.handle();
        DownloadState state = d.state();
        if (handle != null && !state.isTerminal() && state != DownloadState.PAUSED) {
          synchronized (parked) {
            parked.add(d.id());
          }
          LOG.warn("download {}: paused, as this node cannot renew its lease in the database;"
              + " it goes on here or on another node once the database answers", d.id());
          pauseQuietly(d, handle);
          notifyChanged(d, d.requestPause().stateChanged());
        }
      }
    }

    @Override
    public void unpark(Set<String> stillHeld) {
      List<String> ids;
      synchronized (parked) {
        ids = List.copyOf(parked);
        parked.clear();
      }
      for (String id : ids) {
        if (stillHeld.contains(id) && registry.get(id).isPresent()) {
          LOG.info("download {}: the database answers again; resuming it", id);
          try {
            resumeHere(id);
          } catch (CommandException e) {
            LOG.info("download {}: not resumed: {}", id, e.getMessage());
          }
        }
      }
    }

    @Override
    public void changedElsewhere(StatusJson status, boolean stateChanged, Runnable apply) {
      synchronized (notifyLock) {
        apply.run();
        tell(status, stateChanged);
      }
    }

    @Override
    public void removedElsewhere(String id, Runnable apply) {
      synchronized (notifyLock) {
        apply.run();
        tellRemoved(id);
      }
    }
  }
}
