package io.rangefetch.server.download;

import io.rangefetch.DownloadState;
import io.rangefetch.RangeDownloader;
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
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The commands of the protocol over the server's downloads, run by one shared
 * {@link RangeDownloader}. Downloads belong to the server, not to the session that added them.
 * Thread-safe.
 *
 * <p>The commands are routed here (to {@link LocalCommands} for the downloads this server runs,
 * or to the node of a cluster that holds one); the rest is in the parts it is made of:
 * {@link CoreRuns} runs a
 * download in the core and turns its events into changes, {@link DownloadRecords} records them
 * (journal or cluster database), {@link StatusPublisher} tells the listeners, and
 * {@link ClusterNode} is this server as one node of a cluster.
 *
 * <p>Lock order: the store, then this service, then the publisher, then one download. Calls
 * into the core are made holding none of them.
 */
public final class DownloadService implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DownloadService.class);

  private final RangeDownloader downloader;
  private final Path downloadDir;
  private final int maxDownloads;
  private final FinishedDownloads history;
  private final UrlPolicy urlPolicy;
  private final DownloadStore store;
  // in cluster mode, where the list and the queue live instead of the store; else null
  private final @Nullable SharedStore shared;
  private final DownloadRegistry registry = new DownloadRegistry();
  private final DownloadRecords records;
  private final StatusPublisher publisher;
  private final CoreRuns runs;
  private final WaitingQueue queue;
  private final FileCheck fileCheck;
  private final TrafficLimits traffic;
  private final SourceUpdates sourceUpdates;
  private final LocalCommands local;

  /**
   * Creates the service; {@link #start()} loads the state file.
   *
   * @param downloader the shared downloader, whose limits cap every download
   * @param downloadDir the absolute, normalised directory of files and state file
   * @param maxDownloads the most unfinished downloads kept
   * @param maxFinished the most finished downloads kept ({@link FinishedDownloads})
   * @param urlPolicy which URLs are accepted
   */
  public DownloadService(RangeDownloader downloader, Path downloadDir, int maxDownloads,
      int maxFinished, UrlPolicy urlPolicy) {
    this(downloader, downloadDir, maxDownloads, maxFinished, urlPolicy, null);
  }

  /**
   * Creates the service of one node of a cluster: the list and the queue live in
   * {@code shared}, and this node runs the downloads it claims there. {@link #start()} connects.
   *
   * @param downloader the shared downloader, whose limits cap every download and the downloads
   *     this node claims at once
   * @param downloadDir the absolute, normalised directory of this node's files
   * @param maxDownloads the most unfinished downloads the cluster keeps
   * @param maxFinished the most finished downloads kept without a cluster; in a cluster the
   *     store keeps the history
   * @param urlPolicy which URLs are accepted
   * @param shared the cluster's store, or null for the local state file
   */
  public DownloadService(RangeDownloader downloader, Path downloadDir, int maxDownloads,
      int maxFinished, UrlPolicy urlPolicy, @Nullable SharedStore shared) {
    this.downloader = Objects.requireNonNull(downloader, "downloader");
    this.downloadDir = Objects.requireNonNull(downloadDir, "downloadDir");
    this.maxDownloads = maxDownloads;
    this.history = new FinishedDownloads(maxFinished);
    this.urlPolicy = Objects.requireNonNull(urlPolicy, "urlPolicy");
    this.store = new DownloadStore(downloadDir, registry);
    this.shared = shared;
    this.records = new DownloadRecords(store, shared);
    // After a change of state is pushed, the finished downloads beyond the history leave.
    this.publisher = new StatusPublisher(shared == null ? null : shared::changedHere,
        this::stateChanged);
    this.runs = new CoreRuns(downloader, new RunTargets(downloader, downloadDir, registry),
        records, publisher);
    this.queue = new WaitingQueue(downloader, registry, downloadDir);
    this.local = new LocalCommands(registry, records, publisher, runs, queue, history);
    this.fileCheck = new FileCheck(registry, d -> {
      records.now(d);
      publisher.changed(d, false); // not a change of state: the history's order stays
    });
    this.traffic = new TrafficLimits(downloader, this);
    this.sourceUpdates = new SourceUpdates(urlPolicy, registry,
        (download, generation) -> runs.launch(download, generation, true),
        this::changedByCommand);
  }

  /**
   * Registers a listener for every change.
   *
   * @param listener the listener
   */
  public void addListener(StatusListener listener) {
    publisher.addListener(Objects.requireNonNull(listener, "listener"));
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
    fileCheck.start();
    if (shared != null) {
      shared.start(new ClusterNode(local, this::updateHere, urlPolicy, shared, registry, records,
          runs, publisher, downloader.limits()));
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
    for (ServerDownload d : queue.restore(restored)) {
      switch (d.state()) {
        case COMPLETED -> d.checkFile();
        case QUEUED, PROBING, DOWNLOADING -> {
          LOG.info("download {} was {} when the server stopped; starting it again", d.id(),
              d.state().name().toLowerCase(Locale.ROOT));
          runs.run(d, true);
        }
        case PAUSED, FAILED, CANCELLED -> { }
      }
    }
    local.evict(history.restore(registry.oldestFirst()));
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
    URI uri = urlPolicy.check(Objects.requireNonNull(command, "command").url());
    List<URI> mirrors = SourceUpdates.checkMirrors(urlPolicy, uri, command.mirrors());
    // The URLs as checked, not as typed: what is kept and shown must parse again as it is.
    command = command.withSources(uri.toString(),
        mirrors.stream().map(URI::toString).toList());
    FileNames.target(downloadDir, command.fileName());
    registry.findReusable(uri.toString()).ifPresent(fileCheck::checkNow);
    if (shared != null) {
      return addShared(uri, command);
    }
    ServerDownload download;
    Optional<ServerDownload> existing;
    synchronized (this) {
      existing = registry.findReusable(uri.toString());
      if (existing.isPresent() && !existing.get().fileMissing()) {
        return existing.get().status();
      }
      if (history.unfinished(registry.size()) >= maxDownloads) {
        throw new CommandException(ErrorCode.LIMIT, "the server has " + maxDownloads
            + " unfinished downloads, its limit (security.max-downloads); wait for some to"
            + " finish, or cancel some with {\"op\":\"cancel\",\"id\":\"...\"}");
      }
      download = new ServerDownload(registry.newId(), uri, command, downloader.limits(),
          Instant.now());
      registry.add(download);
    }
    existing.ifPresent(gone -> local.evict(List.of(gone.id()))); // replaced: its file is gone
    runs.run(download, false);
    records.now(download);
    publisher.changed(download, true);
    return download.status();
  }

  /** Queues the download in the cluster; the first node with a free slot claims it. */
  private StatusJson addShared(URI uri, AddCommand command) {
    SharedStore shared = cluster();
    SharedStore.Added added = shared.add(uri.toString(),
        id -> new ServerDownload(id, uri, command, downloader.limits(), Instant.now()).stored(),
        maxDownloads);
    if (added.created()) {
      publisher.whileQuiet(() -> {
        // Unless the node that claimed it has already told a later status, pushed meanwhile.
        if (added.status().equals(shared.get(added.status().id()).orElse(null))) {
          publisher.tell(added.status(), true);
        }
      });
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
    publisher.whileQuiet(() -> action.accept(list()));
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
    publisher.whileQuiet(() -> action.accept(shared != null
        ? shared.get(last.id()).orElse(last)
        : registry.get(last.id()).map(ServerDownload::status).orElse(last)));
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
      return shared.get(id).orElseThrow(() -> LocalCommands.notFound(id));
    }
    return find(id).status();
  }

  /** @return the waiting (queued or paused) downloads, the next to start first */
  public List<StatusJson> waiting() {
    return shared != null ? WaitingQueue.inClusterList(list())
        : queue.waiting().stream().map(ServerDownload::status).toList();
  }

  /**
   * Moves a waiting download in the queue, the order in which downloads start.
   *
   * @param id its id
   * @param offset the position, or the distance from {@code anchor}; clamped to the queue
   * @param anchor where {@code offset} counts from
   * @return its position afterwards, 0 for the next to start; see {@link WaitingQueue#move}
   * @throws CommandException {@code not_found}; {@code conflict} if it is not waiting, or in a
   *     cluster, whose nodes start downloads in the order they were added
   */
  public int move(String id, long offset, QueueAnchor anchor) {
    return queue.moveOrRefuse(shared != null ? null : find(id), id, offset, anchor);
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
      return cluster().command(SharedStore.Op.PAUSE, id);
    }
    return local.pause(id);
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
      return cluster().command(SharedStore.Op.RESUME, id);
    }
    return local.resume(id);
  }

  /**
   * Changes a download's settings: a new URL for the same file or other mirrors
   * ({@link SourceUpdates}), then its rate limit ({@link TrafficLimits#update}).
   *
   * @param id its id
   * @param command the fields of the {@code update}
   * @return its status afterwards
   * @throws CommandException {@code not_found}, {@code bad_url}, {@code bad_request},
   *     {@code conflict}
   */
  public StatusJson update(String id, UpdateCommand command) {
    Objects.requireNonNull(command, "command");
    if (elsewhere(id)) {
      // A refused URL goes no further than this node; the node that holds the download checks
      // the rest, as it would its own client's update.
      SourceUpdates.checkUrls(urlPolicy, command);
      return cluster().update(id, command);
    }
    return updateHere(id, command);
  }

  /** An update of a download this server runs (in a cluster: this node holds it). */
  private StatusJson updateHere(String id, UpdateCommand command) {
    ServerDownload download = find(id);
    StatusJson status = null;
    if (command.changesSources()) {
      status = sourceUpdates.apply(download, command);
    }
    if (command.limitBps() != null || status == null) {
      status = traffic.update(download, command);
    }
    return status;
  }

  /**
   * Returns the traffic limits of this server's downloads, for {@code setLimits}.
   *
   * @return the limits
   */
  public TrafficLimits traffic() {
    return traffic;
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
      return cluster().command(SharedStore.Op.CANCEL, id);
    }
    return local.cancel(id);
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
      return cluster().command(SharedStore.Op.REMOVE, id);
    }
    return local.remove(id);
  }

  /** The download of this server with {@code id}; see {@link LocalCommands#find}. */
  ServerDownload find(String id) {
    return local.find(id);
  }

  /** After a change of state was pushed: an end pushed, then older finished ones leave. */
  private void stateChanged(ServerDownload download) {
    if (shared == null && registry.contains(download)) {
      local.evict(history.changed(download));
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
    records.closing();
    publisher.close();
    fileCheck.close();
    if (shared != null) {
      // The downloader first: no byte is written once the store hands the downloads back.
      downloader.close();
      shared.close();
      return;
    }
    queue.save();
    store.close();
    downloader.close();
  }

  /** The cluster's store; called only in cluster mode. */
  private SharedStore cluster() {
    return Objects.requireNonNull(shared, "not in cluster mode");
  }

  /**
   * A command changed the download: recorded and shown at once, not coalesced like progress,
   * as in a cluster the reply is read from the shared list that the notification updates.
   */
  void changedByCommand(ServerDownload download) {
    records.now(download);
    publisher.changed(download, true);
  }

  /** Whether commands for {@code id} go to the cluster: this node does not hold it. */
  boolean elsewhere(String id) {
    return shared != null && !(shared.runsHere(id) && registry.get(id).isPresent());
  }


}
