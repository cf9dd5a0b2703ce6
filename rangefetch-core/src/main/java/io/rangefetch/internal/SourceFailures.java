package io.rangefetch.internal;

import io.rangefetch.DownloadException.Reason;
import io.rangefetch.DownloadHandle;
import io.rangefetch.DownloadUrls;
import io.rangefetch.Probe;
import io.rangefetch.SourceStatus;
import io.rangefetch.UrlRefresher;
import java.io.IOException;
import java.net.URI;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides what a failed request means for the source it went to: a refused signed link is
 * refreshed through the request's {@link UrlRefresher}; a source that errs, lies or fails again
 * and again is dropped while another source is left; anything else is retried as usual by the
 * scheduler's policy. Thread-safe.
 */
final class SourceFailures {
  private static final Logger LOG = LoggerFactory.getLogger(SourceFailures.class);

  /** What became of the source. */
  enum Verdict {
    /** It has a fresh URL for the same file: ask again, without counting an attempt. */
    REFRESHED,
    /** It is no longer used: its work goes to the others, without counting an attempt. */
    DROPPED,
    /** Nothing: the failure counts as usual. */
    USUAL
  }

  private final String downloadId;
  private final DownloadHandle download;
  private final Sources sources;
  private final SourceCheck check;
  private final UrlRefresher refresher;
  private final Consumer<SourceStatus> changed;

  SourceFailures(String downloadId, DownloadHandle download, Sources sources, SourceCheck check,
      UrlRefresher refresher, Consumer<SourceStatus> changed) {
    this.downloadId = downloadId;
    this.download = download;
    this.sources = sources;
    this.check = check;
    this.refresher = refresher;
    this.changed = changed;
  }

  /** A request to {@code asked} (then {@code source}'s URL) failed with {@code failure}. */
  Verdict after(Source source, URI asked, FetchFailure failure) {
    if (source.state() == SourceStatus.State.DROPPED) {
      return Verdict.DROPPED; // by another worker's failure meanwhile
    }
    int code = failure.statusCode();
    if ((code == 401 || code == 403 || code == 410) && refreshed(source, asked, code)) {
      return Verdict.REFRESHED;
    }
    if (!dropWorthy(source, failure) || !othersActive(source)) {
      return Verdict.USUAL;
    }
    source.drop("dropped: " + failure.getMessage());
    LOG.warn("download {}: no longer fetching from {}: {}", downloadId, source,
        failure.getMessage());
    tell(source);
    return Verdict.DROPPED;
  }

  /** A status that says no, a response that lies, or failures in a row. */
  private static boolean dropWorthy(Source source, FetchFailure failure) {
    int code = failure.statusCode();
    if (code == 429 || code == 503) {
      return false; // the host asks for fewer connections: its allowance takes care of it
    }
    if (failure.reason() == Reason.RESOURCE_CHANGED) {
      // A mirror that serves another version lies; the first URL's file changing restarts all.
      return !source.main;
    }
    if (!failure.isRetryable() || failure.reason() == Reason.SERVER_MISBEHAVED) {
      return true;
    }
    return source.failedTooOften();
  }

  private boolean othersActive(Source source) {
    for (Source other : sources.all()) {
      if (other != source && other.active()) {
        return true;
      }
    }
    return false;
  }

  private boolean refreshed(Source source, URI asked, int code) {
    synchronized (source.refreshLock) {
      if (!asked.equals(source.fetchUri())) {
        return true; // refreshed by another worker meanwhile
      }
      if (!source.mayRefresh()) {
        return false;
      }
      URI expired = source.uri();
      Optional<URI> fresh;
      try {
        fresh = refresher.refresh(download, expired, code);
      } catch (IOException | RuntimeException e) {
        LOG.warn("download {}: the URL refresher failed for {}: {}", downloadId, source,
            e.toString());
        return false;
      }
      if (fresh.isEmpty()) {
        return false;
      }
      return takeFresh(source, fresh.get(), code);
    }
  }

  private boolean takeFresh(Source source, URI fresh, int code) {
    URI expired = DownloadUrls.redact(source.uri());
    Validators expected = source.requireValidators();
    String difference;
    Probe found = null;
    try {
      found = check.probe(fresh, new Requests(fresh, download.request().headers(), source.route()));
      difference = SourceCheck.difference(expected, found);
    } catch (FetchFailure f) {
      difference = f.getMessage();
    }
    if (difference != null || found == null) {
      LOG.warn("download {}: the refreshed URL {} for {} is not used: {}", downloadId,
          DownloadUrls.redact(fresh), source, difference);
      return false;
    }
    source.replace(fresh, found.finalUri(), Validators.of(found),
        "URL refreshed after a " + code + " answer");
    LOG.info("download {}: {} answered {}; fetching from the refreshed URL {}", downloadId,
        expired, code, DownloadUrls.redact(fresh));
    tell(source);
    return true;
  }

  private void tell(Source source) {
    changed.accept(source.status(true));
  }
}
