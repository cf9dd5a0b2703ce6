package io.rangefetch.internal;

import io.rangefetch.DownloadUrls;
import io.rangefetch.SourceStatus;
import java.net.URI;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * One URL a download fetches from: the request's own or a mirror. It carries what this URL
 * said about the file (its validators, once it is shown to serve the same file as the others),
 * whether it is used, and what it delivered. Thread-safe: its state changes under its own lock,
 * and workers read it through volatile fields.
 */
final class Source {
  /** Failures of a source in a row, with no chunk finished in between, after which it is dropped. */
  static final int MAX_FAILURES_IN_A_ROW = 3;

  private final Map<String, String> headers;
  private final ProxyRoutes.Route route;
  final boolean main;

  // Written under this, read by anyone.
  private volatile URI uri;
  // Where the requests go: uri, or where its redirects ended.
  private volatile URI fetchUri;
  private volatile Requests requests;
  private volatile @Nullable Validators validators;
  private volatile SourceStatus.State state = SourceStatus.State.UNUSED;
  private volatile String note = "";
  // Guarded by this.
  private boolean checking;
  private int failuresInARow;
  private int refreshesInARow;
  // Held while this source's URL is refreshed: one refresh at a time.
  final Object refreshLock = new Object();
  // Counted by the workers that write its bytes.
  private final AtomicLong bytes = new AtomicLong();
  private final SpeedMeter speed = new SpeedMeter();

  Source(URI uri, Map<String, String> headers, ProxyRoutes.Route route, boolean main) {
    this.uri = uri;
    this.fetchUri = uri;
    this.headers = headers;
    this.route = route;
    this.main = main;
    this.requests = new Requests(uri, headers, route);
  }

  /** How this source's requests go: directly or through the download's proxy. */
  ProxyRoutes.Route route() {
    return route;
  }

  /** The URL as given, with its credentials. */
  URI uri() {
    return uri;
  }

  /** Where the requests go: the URL as given, or where its redirects ended. */
  URI fetchUri() {
    return fetchUri;
  }

  /** The headers every request of the download carries. */
  Map<String, String> requestHeaders() {
    return headers;
  }

  /** The requests to this source: its credentials go only to its own origin. */
  Requests requests() {
    return requests;
  }

  /** What this source said about the file; null until it was shown to serve the same file. */
  @Nullable Validators validators() {
    return validators;
  }

  Validators requireValidators() {
    Validators v = validators;
    if (v == null) {
      throw new IllegalStateException("source " + DownloadUrls.redact(uri) + " is not checked");
    }
    return v;
  }

  SourceStatus.State state() {
    return state;
  }

  boolean active() {
    return state == SourceStatus.State.ACTIVE;
  }

  /** Whether this source waits for a check: unused, and none runs. */
  synchronized boolean awaitsCheck() {
    return state == SourceStatus.State.UNUSED && !checking;
  }

  /** Whether a check of this source may start now: it is unused and none runs. */
  synchronized boolean startCheck() {
    if (state != SourceStatus.State.UNUSED || checking) {
      return false;
    }
    checking = true;
    return true;
  }

  /**
   * Shown to serve the file, as {@code found} says, at {@code at} (where its redirects ended):
   * the probe of the download, or the check of a mirror.
   */
  synchronized void verified(URI at, Validators found, String why) {
    checking = false;
    fetchUri = at;
    validators = found;
    if (state != SourceStatus.State.DROPPED) {
      state = SourceStatus.State.ACTIVE;
      note = why;
    }
  }

  /** The download's probe found the file at {@code at}, as {@code found} says. */
  synchronized void probed(URI at, Validators found) {
    checking = false;
    fetchUri = at;
    validators = found;
    state = SourceStatus.State.ACTIVE;
  }

  /** Notes {@code why}, for a person: what happened to the download's bytes. */
  void noted(String why) {
    note = why;
  }

  /** A check was cut short (the download stopped): it may run again. */
  synchronized void checkAbandoned() {
    checking = false;
  }

  /** No longer used, because of {@code why}. */
  synchronized void drop(String why) {
    checking = false;
    state = SourceStatus.State.DROPPED;
    note = why;
  }

  /**
   * Takes {@code fresh} as this source's URL: it serves the same file at {@code at}, per
   * {@code found}.
   */
  synchronized void replace(URI fresh, URI at, Validators found, String why) {
    uri = fresh;
    fetchUri = at;
    requests = new Requests(fresh, headers, route);
    validators = found;
    state = SourceStatus.State.ACTIVE;
    note = why;
    failuresInARow = 0;
  }

  /**
   * Takes {@code fresh} as this source's URL, to be probed anew: the download starts over. The
   * old validators stay until then, so that a request still sent meets a check that refuses
   * another file.
   */
  synchronized void restartWith(URI fresh, String why) {
    uri = fresh;
    fetchUri = fresh;
    requests = new Requests(fresh, headers, route);
    state = SourceStatus.State.UNUSED;
    note = why;
    failuresInARow = 0;
    refreshesInARow = 0;
  }

  /** A chunk from this source ended well: its failures in a row start over. */
  synchronized void succeeded() {
    failuresInARow = 0;
    refreshesInARow = 0;
  }

  /** Counts a failure; true when this source failed too often in a row. */
  synchronized boolean failedTooOften() {
    return ++failuresInARow >= MAX_FAILURES_IN_A_ROW;
  }

  /** Counts a refresh; false when there were too many in a row without a chunk in between. */
  synchronized boolean mayRefresh() {
    return ++refreshesInARow <= MAX_FAILURES_IN_A_ROW;
  }

  void delivered(int n) {
    bytes.addAndGet(n);
  }

  void sample(long now) {
    speed.sample(now, bytes.get());
  }

  SourceStatus status(boolean moving) {
    return new SourceStatus(DownloadUrls.redact(uri), state, bytes.get(),
        moving && active() ? speed.bytesPerSecond() : 0, note);
  }

  @Override
  public String toString() {
    return (main ? "URL " : "mirror ") + DownloadUrls.redact(uri);
  }
}
