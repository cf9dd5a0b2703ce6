package io.rangefetch.internal;

import io.rangefetch.DownloadException.Reason;
import io.rangefetch.DownloadUrls;
import io.rangefetch.Probe;
import io.rangefetch.SourceStatus;
import java.net.URI;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A new URL for a download's first source, given on its handle: it is checked against what is
 * on disk, and the bytes are kept when it serves the same file, or the download starts over
 * from it, with a note that says why. A running download takes it at once, one paused or
 * queued when it runs. Thread-safe.
 */
final class UriReplacement {
  private static final Logger LOG = LoggerFactory.getLogger(UriReplacement.class);

  /** A URL waiting to be taken, and the note that comes with it when taken unchecked. */
  private record Pending(URI uri, String note) {}

  private final String downloadId;
  private final Source main;
  private final SourceCheck check;
  private final Consumer<SourceStatus> changed;
  // Guarded by this.
  private @Nullable Pending pending;

  UriReplacement(String downloadId, Source main, SourceCheck check,
      Consumer<SourceStatus> changed) {
    this.downloadId = downloadId;
    this.main = main;
    this.check = check;
    this.changed = changed;
  }

  /** Keeps {@code uri} for the next run, or for {@link #applyNow}. */
  synchronized void offer(URI uri) {
    pending = new Pending(uri, "URL replaced");
  }

  /** Whether a URL waits to be taken. */
  synchronized boolean pending() {
    return pending != null;
  }

  private synchronized @Nullable Pending take() {
    Pending p = pending;
    pending = null;
    return p;
  }

  private synchronized void putBack(Pending p) {
    if (pending == null) {
      pending = p; // unless a newer one came meanwhile
    }
  }

  /**
   * Before a run: takes the URL waiting, if any. With {@code expected} (the file is known and
   * on disk) it is checked first.
   *
   * @return false if the download must start over: the new URL serves another file
   * @throws FetchFailure if the new URL could not be checked; it stays waiting for the next run
   */
  boolean applyBeforeRun(@Nullable Validators expected) throws FetchFailure {
    Pending p = take();
    if (p == null) {
      return true;
    }
    if (expected == null) {
      main.restartWith(p.uri(), p.note());
      changed.accept(main.status(false));
      return true;
    }
    try {
      return apply(p.uri(), expected);
    } catch (FetchFailure f) {
      putBack(p);
      throw f;
    }
  }

  /**
   * While the download runs: checks the URL waiting against {@code expected} and takes it,
   * on the calling worker, when its host has room.
   *
   * @param restart starts the run over, with the failure that says why
   * @param stopping whether the run is stopping (then the URL waits for the next run)
   * @return whether a URL was checked
   */
  boolean applyNow(Validators expected, DownloadTraffic traffic, Consumer<FetchFailure> restart,
      BooleanSupplier stopping) {
    Pending p = take();
    if (p == null) {
      return false;
    }
    HostAllowances.Permit permit = traffic.tryConnection(p.uri());
    if (permit == null) {
      putBack(p);
      return false;
    }
    try (permit) {
      if (!apply(p.uri(), expected)) {
        restart.accept(FetchFailure.fatal(Reason.RESOURCE_CHANGED, main.status(false).note()));
      }
    } catch (FetchFailure f) {
      putBack(p);
      if (!stopping.getAsBoolean()) {
        restart.accept(f);
      }
    }
    return true;
  }

  /** Checks {@code fresh} against {@code expected}; false when the download starts over. */
  private boolean apply(URI fresh, Validators expected) throws FetchFailure {
    Probe found = check.probe(fresh, new Requests(fresh, main.requestHeaders(), main.route()));
    String difference = SourceCheck.difference(expected, found);
    if (difference == null) {
      main.replace(fresh, found.finalUri(), Validators.of(found),
          "URL replaced; it serves the same file, so the bytes already fetched are kept");
      LOG.info("download {}: URL replaced by {}; it serves the same file", downloadId,
          DownloadUrls.redact(fresh));
      changed.accept(main.status(false));
      return true;
    }
    String note = "URL replaced; the new URL serves another file (" + difference
        + "), so the download started over";
    LOG.warn("download {}: {}", downloadId, note);
    // The probe of the run that starts over asks it.
    main.restartWith(fresh, note);
    changed.accept(main.status(false));
    return false;
  }
}
