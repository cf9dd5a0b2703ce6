package io.rangefetch.server.download;

import io.rangefetch.DownloadHandle;
import io.rangefetch.DownloadState;
import io.rangefetch.Limits;
import io.rangefetch.server.protocol.CommandException;
import io.rangefetch.server.protocol.StatusJson;
import io.rangefetch.server.protocol.StoredDownload;
import io.rangefetch.server.protocol.UpdateCommand;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's downloads as one node of a cluster sees them ({@link SharedStore.Node}): runs
 * the downloads this node claims, answers commands the other nodes pass on, and pauses its runs
 * while it cannot renew its lease. Thread-safe.
 */
final class ClusterNode implements SharedStore.Node {
  private static final Logger LOG = LoggerFactory.getLogger(ClusterNode.class);

  private final LocalCommands local;
  private final BiFunction<String, UpdateCommand, StatusJson> updates;
  private final UrlPolicy policy;
  private final SharedStore shared;
  private final DownloadRegistry registry;
  private final DownloadRecords records;
  private final CoreRuns runs;
  private final StatusPublisher publisher;
  private final Limits limits;
  // ids of downloads paused because the database was lost (park); guarded by itself
  private final Set<String> parked = new LinkedHashSet<>();

  /**
   * @param updateHere carries out an {@code update} of a download this node holds, as for its
   *     own clients
   * @param policy which URLs an {@code update} of a download no node runs may give
   */
  ClusterNode(LocalCommands local, BiFunction<String, UpdateCommand, StatusJson> updateHere,
      UrlPolicy policy, SharedStore shared, DownloadRegistry registry, DownloadRecords records,
      CoreRuns runs, StatusPublisher publisher, Limits limits) {
    this.local = local;
    this.updates = updateHere;
    this.policy = policy;
    this.shared = shared;
    this.registry = registry;
    this.records = records;
    this.runs = runs;
    this.publisher = publisher;
    this.limits = limits;
  }

  @Override
  public void runClaimed(StoredDownload stored) {
    if (records.isClosing()) {
      return; // the store hands it back to the queue when it closes
    }
    String id = stored.status().id();
    ServerDownload known = registry.get(id).orElse(null);
    if (known != null) {
      DownloadHandle handle = known.handle();
      if (handle != null && !known.state().isTerminal()) {
        // Parked when the database was lost, and claimed back: its run is still in the core.
        LOG.info("download {}: claimed back; resuming its run", id);
        local.resume(id);
        return;
      }
      registry.remove(id); // an older run of this node: the record is newer
    }
    ServerDownload download;
    try {
      download = ServerDownload.restore(stored, limits);
    } catch (RuntimeException e) {
      LOG.error("download {}: its record in the database is not valid ({}); skipping it", id,
          e.getMessage());
      return;
    }
    download.runsOn(shared.nodeId(), shared.nodeUrl());
    registry.add(download);
    LOG.debug("download {}: claimed by node {} ({} bytes recorded)", id, shared.nodeId(),
        stored.status().bytesDone());
    runs.run(download, true);
    records.now(download);
    publisher.changed(download, true);
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
      case PAUSE -> local.pause(id);
      case RESUME -> local.resume(id);
      case CANCEL -> local.cancel(id);
      case REMOVE -> local.remove(id);
      case UPDATE -> throw new IllegalArgumentException("an update carries its fields;"
          + " use updateHere");
    };
  }

  @Override
  public StatusJson updateHere(String id, UpdateCommand update) {
    return updates.apply(id, update);
  }

  @Override
  public StoredDownload updateRecord(StoredDownload stored, UpdateCommand update) {
    if (!update.changesSources() && update.limitBps() == null) {
      return stored;
    }
    // The same steps and checks as an update of a download this node runs, on a download
    // restored from the record and in no registry: nothing runs, nothing is told.
    ServerDownload download = ServerDownload.restore(stored, limits);
    if (update.changesSources()) {
      SourceUpdates.applyToRecord(policy, download, update);
    }
    Long asked = update.limitBps();
    if (asked != null) {
      TrafficLimits.limit(download, asked);
    }
    return download.stored();
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
        CoreRuns.pauseQuietly(d, handle);
        publisher.changed(d, d.requestPause().stateChanged());
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
          local.resume(id);
        } catch (CommandException e) {
          LOG.info("download {}: not resumed: {}", id, e.getMessage());
        }
      }
    }
  }

  @Override
  public void changedElsewhere(StatusJson status, boolean stateChanged, Runnable apply) {
    publisher.whileQuiet(() -> {
      apply.run();
      publisher.tell(status, stateChanged);
    });
  }

  @Override
  public void removedElsewhere(String id, Runnable apply) {
    // A finished download of this node that left the shared list (its history): here too.
    registry.get(id).filter(d -> d.state().isTerminal()).ifPresent(d -> registry.remove(id));
    publisher.whileQuiet(() -> {
      apply.run();
      publisher.tellRemoved(id);
    });
  }
}
