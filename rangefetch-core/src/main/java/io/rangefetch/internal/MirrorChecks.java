package io.rangefetch.internal;

import io.rangefetch.Probe;
import io.rangefetch.SourceStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks the mirrors of a download while the first URL is fetched from: each mirror is asked
 * for its first byte by a worker between two connections, and becomes active when it serves
 * the same file, or is dropped with a note. A check cut short by a pause is done again at the
 * next run. Thread-safe.
 */
final class MirrorChecks {
  private static final Logger LOG = LoggerFactory.getLogger(MirrorChecks.class);

  private final String downloadId;
  private final Sources sources;
  private final SourceCheck check;

  MirrorChecks(String downloadId, Sources sources, SourceCheck check) {
    this.downloadId = downloadId;
    this.sources = sources;
    this.check = check;
  }

  /** Whether a mirror waits for its check, and its host would give a connection for it. */
  boolean pending(DownloadTraffic traffic) {
    for (Source source : sources.all()) {
      if (!source.main && source.awaitsCheck() && traffic.hasRoom(source.uri())) {
        return true;
      }
    }
    return false;
  }

  /**
   * Checks one mirror that waits for it against {@code expected}, on the calling worker, so
   * that the check is one of the download's requests and the caps hold; the worker's turn
   * passes to it only when the mirror's host has room.
   *
   * @return whether a mirror was checked
   */
  boolean checkOne(Validators expected, DownloadTraffic traffic, ChunkRun.Host run) {
    for (Source source : sources.all()) {
      if (source.main || !source.startCheck()) {
        continue;
      }
      HostAllowances.Permit permit = traffic.tryConnection(source.uri());
      if (permit == null) {
        source.checkAbandoned();
        continue;
      }
      try (permit) {
        check(source, expected, run);
      }
      return true;
    }
    return false;
  }

  private void check(Source source, Validators expected, ChunkRun.Host run) {
    String difference;
    Probe found = null;
    try {
      found = check.probe(source.uri(), source.requests());
      difference = SourceCheck.difference(expected, found);
    } catch (FetchFailure f) {
      if (run.stopping()) {
        source.checkAbandoned(); // the pause aborted it: the next run asks again
        return;
      }
      difference = f.getMessage();
    }
    if (difference == null && found != null) {
      source.verified(found.finalUri(), Validators.of(found), "");
      LOG.debug("download {}: {} serves the same file; fetching from it too", downloadId, source);
    } else {
      source.drop("dropped: " + difference);
      LOG.info("download {}: {} is not used: {}", downloadId, source, difference);
    }
    SourceStatus now = source.status(true);
    run.post((l, d) -> l.sourceChanged(d, now));
    run.wake();
  }
}
