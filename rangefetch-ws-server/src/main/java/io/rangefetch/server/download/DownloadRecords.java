package io.rangefetch.server.download;

import org.jspecify.annotations.Nullable;

/**
 * Where the server records its downloads: the local journal ({@link DownloadStore}) or, in a
 * cluster, the shared database ({@link SharedStore}). Thread-safe.
 *
 * <p>Once the server is closing nothing is recorded any more: the records keep the downloads
 * that were running as running, to start them again.
 */
final class DownloadRecords {
  private final DownloadStore store;
  private final @Nullable SharedStore shared;
  // written by closing(): once set, events of the core no longer change the records
  private volatile boolean closing;

  DownloadRecords(DownloadStore store, @Nullable SharedStore shared) {
    this.store = store;
    this.shared = shared;
  }

  /** Records the download's state now, before a reply or a push tells of it. */
  void now(ServerDownload download) {
    if (closing) {
      return;
    }
    if (shared != null) {
      shared.record(download.id(), download::stored, true);
    } else {
      store.put(download);
    }
  }

  /**
   * Records the download a moment later, once for all its changes until then
   * ({@link DownloadStore#putSoon}): for the core's own steps (queued, probing, downloading, the
   * file named), which a crash may lose without harm, as the download restarts from its part
   * file in the state before. Commands and endings are recorded at once ({@link #now}).
   */
  void soon(ServerDownload download) {
    if (closing) {
      return;
    }
    if (shared != null) {
      shared.record(download.id(), download::stored, false);
    } else {
      store.putSoon(download);
    }
  }

  /** Forgets a removed download. */
  void removed(String id) {
    if (shared != null) {
      shared.removedHere(id);
    } else {
      store.removed(id);
    }
  }

  /** From now on nothing is recorded; the core's events of stopping downloads change nothing. */
  void closing() {
    closing = true;
  }

  boolean isClosing() {
    return closing;
  }
}
