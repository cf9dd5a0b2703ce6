package io.rangefetch.server.download;

import io.rangefetch.DownloadHandle;
import io.rangefetch.DownloadState;
import io.rangefetch.DownloadStatus;
import io.rangefetch.server.protocol.CommandException;
import io.rangefetch.server.protocol.ErrorCode;
import io.rangefetch.server.protocol.StatusJson;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The commands on the downloads this server runs itself (in a cluster: those this node holds):
 * each checks the download's state, acts on its core run, records the change and tells the
 * listeners. {@link DownloadService} routes a command here, or to the node that holds the
 * download. Thread-safe.
 */
final class LocalCommands {
  private static final Logger LOG = LoggerFactory.getLogger(LocalCommands.class);
  private static final int STATE_WAIT_SECONDS = 10;

  private final DownloadRegistry registry;
  private final DownloadRecords records;
  private final StatusPublisher publisher;
  private final CoreRuns runs;
  private final WaitingQueue queue;
  private final FinishedDownloads history;

  LocalCommands(DownloadRegistry registry, DownloadRecords records, StatusPublisher publisher,
      CoreRuns runs, WaitingQueue queue, FinishedDownloads history) {
    this.registry = registry;
    this.records = records;
    this.publisher = publisher;
    this.runs = runs;
    this.queue = queue;
    this.history = history;
  }

  StatusJson pause(String id) {
    ServerDownload download = find(id);
    refuseIfEnded(download, "pause");
    DownloadHandle handle = download.handle();
    if (handle != null) {
      // The core says when the pause holds: the reply shows the state the core is in.
      CompletableFuture<DownloadStatus> paused;
      try {
        paused = handle.pause();
      } catch (IllegalStateException e) {
        throw conflict(download, "pause");
      }
      awaitState(paused, download, "pause");
      runs.update(download, handle);
      // Recorded at once even though the core's pause event was recorded a moment later
      // (DownloadStore#putSoon): a pause acknowledged to the client must survive a crash.
      records.now(download);
      return download.status();
    }
    // No run holds it yet (one is being started): shown paused now, and the run is paused as
    // soon as it is attached (ServerDownload#attach).
    ServerDownload.PauseRequest request = download.requestPause();
    DownloadHandle attached = request.handle();
    if (attached != null && attached != handle) {
      // A run started between the two looks: its handle was attached before the request, so
      // attach() did not see it; pause it here.
      CoreRuns.pauseQuietly(download, attached);
    }
    // Recorded even when the core's own pause event showed it paused first: that event is only
    // recorded a moment later (DownloadStore#putSoon), and a pause acknowledged to the client must survive a crash.
    records.now(download);
    publisher.changed(download, request.stateChanged());
    return download.status();
  }

  StatusJson resume(String id) {
    ServerDownload download = find(id);
    refuseIfEnded(download, "resume");
    DownloadHandle handle = download.handle();
    if (handle == null) {
      // Claimed under the download's lock: two resumes at once start one run, not two writing
      // the same part file.
      long generation = download.claimRestart();
      if (generation > 0) {
        runs.launch(download, generation, true);
        queue.resumed();
        records.now(download);
        publisher.changed(download, true);
      }
      return download.status();
    }
    download.clearPauseRequest();
    CompletableFuture<DownloadStatus> running;
    try {
      running = handle.resume();
    } catch (IllegalStateException e) {
      throw conflict(download, "resume");
    }
    // Once it holds, the pause's own events have all been told: the state shown is the core's.
    awaitState(running, download, "resume");
    queue.resumed(); // it keeps its place in the queue
    runs.update(download, handle);
    records.now(download);
    return download.status();
  }

  /**
   * Waits for the core to say that a pause or resume holds. It stops the workers' connections,
   * so this takes milliseconds; a core that needs longer goes on, and its events tell the rest.
   */
  private static void awaitState(CompletableFuture<DownloadStatus> change,
      ServerDownload download, String op) {
    try {
      change.get(STATE_WAIT_SECONDS, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      LOG.warn("download {}: the {} did not take effect within {} s; its events will show when"
          + " it does", download.id(), op, STATE_WAIT_SECONDS);
    }
  }

  StatusJson cancel(String id) {
    ServerDownload download = find(id);
    DownloadState state = download.state();
    if (state == DownloadState.COMPLETED || state == DownloadState.FAILED) {
      throw conflict(download, "cancel");
    }
    stop(download);
    return download.status();
  }

  StatusJson remove(String id) {
    ServerDownload download = find(id);
    stop(download);
    download.markRemoved();
    if (!registry.remove(id)) {
      throw notFound(id);
    }
    history.forget(id);
    records.removed(id);
    publisher.removed(download);
    return download.status();
  }

  /** Takes off the list the finished downloads the history no longer keeps (files stay). */
  void evict(List<String> ids) {
    ids.forEach(id -> registry.get(id).filter(d -> d.state().isTerminal())
        .ifPresent(d -> remove(id)));
  }

  private void stop(ServerDownload download) {
    DownloadHandle handle = download.handle();
    if (handle != null && CoreRuns.cancelAndAwait(handle)) {
      return; // it ended before the cancel came: the core's end event tells the rest
    }
    if (download.cancelled()) {
      if (handle == null) {
        // Paused before a restart: no core download holds its part file, so delete it here,
        // as the core does on a cancel.
        runs.deletePartFiles(download);
      }
      records.now(download);
      publisher.changed(download, true);
    }
  }

  ServerDownload find(String id) {
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

  static CommandException notFound(String id) {
    return new CommandException(ErrorCode.NOT_FOUND, "no download has id \"" + id
        + "\"; send {\"op\":\"list\"} to see the ids");
  }
}
