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
import io.rangefetch.server.protocol.AddCommand;
import io.rangefetch.server.protocol.CommandException;
import io.rangefetch.server.protocol.ErrorCode;
import io.rangefetch.server.protocol.StateFile;
import io.rangefetch.server.protocol.StatusJson;
import io.rangefetch.server.protocol.StoredDownload;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
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

  private final RangeDownloader downloader;
  private final Path downloadDir;
  private final int maxDownloads;
  private final UrlPolicy urlPolicy;
  private final DownloadStore store;
  private final DownloadRegistry registry = new DownloadRegistry();
  private final List<StatusListener> listeners = new CopyOnWriteArrayList<>();
  // Every notification takes its status and hands it to the listeners under this lock, so the
  // listeners see the statuses of one download in the order they were taken: the last push is
  // the latest status. Listeners only queue frames, so the lock is held briefly.
  private final Object notifyLock = new Object();
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
    this.downloader = Objects.requireNonNull(downloader, "downloader");
    this.downloadDir = Objects.requireNonNull(downloadDir, "downloadDir");
    this.maxDownloads = maxDownloads;
    this.urlPolicy = Objects.requireNonNull(urlPolicy, "urlPolicy");
    this.store = new DownloadStore(downloadDir);
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
        case QUEUED, PROBING, DOWNLOADING -> run(d);
        case PAUSED -> d.restoredAsPaused();
        case FAILED, CANCELLED -> { }
      }
    }
    persist();
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
    FileNames.target(downloadDir, command.fileName());
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
    run(download);
    persist();
    notifyChanged(download, true);
    return download.status();
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
   * Returns every download, newest first.
   *
   * @return the statuses
   */
  public List<StatusJson> list() {
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
    boolean stateChanged = download.requestPause();
    if (stateChanged) {
      persist();
    }
    notifyChanged(download, stateChanged);
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
    ServerDownload download = find(id);
    refuseIfEnded(download, "resume");
    DownloadHandle handle = download.handle();
    if (handle == null) {
      if (download.state() == DownloadState.PAUSED) {
        run(download);
        persist();
        notifyChanged(download, true);
      }
      return download.status();
    }
    try {
      handle.resume();
    } catch (IllegalStateException e) {
      throw conflict(download, "resume");
    }
    download.requestResume();
    update(download, handle);
    return download.status();
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
    ServerDownload download = find(id);
    stop(download);
    download.markRemoved();
    if (!registry.remove(id)) {
      throw notFound(id);
    }
    persist();
    synchronized (notifyLock) {
      for (StatusListener listener : listeners) {
        try {
          listener.removed(id);
        } catch (RuntimeException e) {
          LOG.error("a status listener failed on the removal of download {}", id, e);
        }
      }
    }
    return download.status();
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
    persist();
    closing = true;
    downloader.close();
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
      persist();
      notifyChanged(download, true);
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

  private void run(ServerDownload download) {
    long generation = download.nextGeneration();
    AddCommand options = download.options();
    DownloadRequest.Builder request = DownloadRequest
        .newBuilder(download.uri(), FileNames.target(downloadDir, options.fileName()))
        .ifExists(IfExists.RENAME)
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
    DownloadHandle handle;
    try {
      handle = downloader.start(request.build());
    } catch (RuntimeException e) {
      LOG.error("download {}: the downloader refused to start it", download.id(), e);
      download.fail("internal", "the server could not start this download (" + e.getMessage()
          + "); add the URL again, and report it if it keeps happening");
      return;
    }
    download.attach(handle, generation);
  }

  private void update(ServerDownload download, DownloadHandle handle) {
    DownloadStatus now = handle.status();
    update(download, handle, now, now.state());
  }

  private void update(ServerDownload download, DownloadHandle handle, DownloadStatus status,
      DownloadState shown) {
    boolean stateChanged = download.apply(status, shown, handle.file());
    if (stateChanged) {
      persist();
    }
    notifyChanged(download, stateChanged);
  }

  private void ended(ServerDownload download, boolean stateChanged) {
    if (stateChanged) {
      persist();
      notifyChanged(download, true);
    }
  }

  private void persist() {
    if (closing) {
      return;
    }
    store.save(() -> new StateFile(StateFile.VERSION, registry.nextId(),
        registry.oldestFirst().stream().map(ServerDownload::stored).toList()));
  }

  private void notifyChanged(ServerDownload download, boolean stateChanged) {
    synchronized (notifyLock) {
      StatusJson status = download.status();
      for (StatusListener listener : listeners) {
        try {
          listener.changed(status, stateChanged);
        } catch (RuntimeException e) {
          LOG.error("a status listener failed on download {}", status.id(), e);
        }
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
    public void downloadPaused(DownloadHandle handle) {
      changed(handle, handle.status(), DownloadState.PAUSED);
    }

    @Override
    public void downloadResumed(DownloadHandle handle) {
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
}
