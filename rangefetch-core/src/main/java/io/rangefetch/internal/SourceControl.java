package io.rangefetch.internal;

/**
 * What the workers of a run need to work with the sources of their download: the sources,
 * what a failure means for one, the checks of mirrors, and a new URL waiting to be checked.
 * Immutable; its parts are thread-safe.
 *
 * @param sources the URLs of the file
 * @param failures what a failed request means for its source
 * @param mirrors the checks of the mirrors
 * @param replacement a new URL for the first source
 */
record SourceControl(Sources sources, SourceFailures failures, MirrorChecks mirrors,
    UriReplacement replacement) {

  /**
   * Whether a check waits for a worker: a new URL, or a mirror whose host would give a
   * connection for it (sessions end at their next chunk for it, so not for one that cannot).
   */
  boolean checkPending(DownloadTraffic traffic) {
    return replacement.pending() || mirrors.pending(traffic);
  }

  /**
   * Does one check that waits, on the calling worker, between two of its connections.
   *
   * @param restart starts the run over with the failure that says why
   * @return whether a check was done
   */
  boolean checkOne(DownloadTraffic traffic, ChunkRun.Host run,
      java.util.function.Consumer<FetchFailure> restart) {
    Validators expected = sources.main().validators();
    if (expected == null) {
      return false;
    }
    return replacement.applyNow(expected, traffic, restart, run::stopping)
        || mirrors.checkOne(expected, traffic, run);
  }
}
