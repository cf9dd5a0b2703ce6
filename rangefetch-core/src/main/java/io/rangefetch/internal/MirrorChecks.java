package io.rangefetch.internal;

import io.rangefetch.Probe;
import io.rangefetch.SourceStatus;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks the mirrors of a download beside its transfer, so that the first URL is fetched from
 * at once: each mirror is asked for its first byte, and becomes active when it serves the same
 * file, or is dropped with a note. A check cut short by a pause is done again at the next run.
 * Thread-safe.
 */
final class MirrorChecks {
  private static final Logger LOG = LoggerFactory.getLogger(MirrorChecks.class);

  private final String downloadId;
  private final Sources sources;
  private final SourceCheck check;
  private final Executor executor;

  MirrorChecks(String downloadId, Sources sources, SourceCheck check, Executor executor) {
    this.downloadId = downloadId;
    this.sources = sources;
    this.check = check;
    this.executor = executor;
  }

  /** Starts a check of each mirror not checked yet against {@code expected}, for {@code run}. */
  void start(Validators expected, ChunkRun.Host run) {
    for (Source source : sources.all()) {
      if (!source.main && source.startCheck()) {
        executor.execute(() -> check(source, expected, run));
      }
    }
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
    if (difference == null) {
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
