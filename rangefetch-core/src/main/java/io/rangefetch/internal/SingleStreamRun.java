package io.rangefetch.internal;

import io.rangefetch.ByteRange;
import io.rangefetch.DownloadException;
import io.rangefetch.DownloadException.Reason;
import java.io.IOException;
import java.net.URI;
import org.jspecify.annotations.Nullable;

/**
 * A download read as one stream, for a server that ignores ranges or gives no length. A failed
 * stream cannot be continued: it is read again from its first byte, after the usual back-off.
 * Runs on the download's coordinator thread.
 */
final class SingleStreamRun {
  /** What the run needs from its download. */
  interface Host {
    /** Opens the whole file again, with the retries of a first request. */
    FirstResponse reopen() throws FetchFailure;

    /** Whether the run must stop. */
    boolean stopping();

    /** Waits {@code nanos} before the next attempt; false if the run stopped meanwhile. */
    boolean backOff(long nanos);

    /** {@code bytes} reached the file at {@code position}. */
    void written(long position, int bytes);

    /** The stream was read to its end: the file is {@code size} bytes. */
    void ended(long size);

    /** Everything written so far is dropped: the next attempt starts from the first byte. */
    void restart() throws FetchFailure;

    /** Workers reading now: 0 or 1. */
    void reading(boolean reading);
  }

  private final DownloadEngine engine;
  private final RunFiles files;
  private final EventDispatcher events;
  private final Host host;
  private final URI uri;
  private final DownloadTraffic traffic;

  SingleStreamRun(DownloadEngine engine, RunFiles files, EventDispatcher events, URI uri,
      DownloadTraffic traffic, Host host) {
    this.engine = engine;
    this.files = files;
    this.events = events;
    this.uri = uri;
    this.traffic = traffic;
    this.host = host;
  }

  /** Reads {@code first}'s body, and the whole file again after each retryable failure. */
  void read(FirstResponse first) throws FetchFailure {
    WorkerBuffer buffer = WorkerBuffer.ofThisThread();
    RetryPolicy policy = engine.retryPolicy();
    long max = engine.settings().limits().maxFileBytes();
    FirstResponse response = first;
    WorkerBuffer.Sink sink = new WorkerBuffer.Sink() {
      @Override
      public void written(long position, int bytes) {
        host.written(position, bytes);
      }

      @Override
      public int admit(int wanted) {
        return traffic.admit(wanted, host::backOff);
      }

      @Override
      public void unused(int bytes) {
        traffic.unused(bytes);
      }
    };
    for (int attempt = 1; ; attempt++) {
      long announced = response.probe().size();
      @Nullable ByteRange whole = announced > 0 ? new ByteRange(0, announced - 1) : null;
      int attemptNumber = attempt;
      if (whole != null) {
        events.post((l, d) -> l.chunkStart(d, whole, attemptNumber));
      }
      String what = Requests.describe(uri, null);
      host.reading(true);
      try (InFlight.Open open = response.open()) {
        long read = SingleStreamFetcher.read(open, announced, max, files.requirePart(), buffer,
            sink, host::stopping, what);
        host.ended(read);
        if (whole != null) {
          events.post((l, d) -> l.chunkEnd(d, whole));
        }
        return;
      } catch (IOException | RuntimeException e) {
        FetchFailure f = FailureClassifier.classify(e, what);
        boolean retry = !host.stopping() && policy.shouldRetry(f, attempt);
        if (whole != null) {
          DownloadException cause = f.toDownloadException(uri, whole);
          events.post((l, d) -> l.chunkFailed(d, whole, cause, retry));
        }
        if (!retry) {
          if (!host.stopping()) {
            throw f;
          }
          return;
        }
        host.restart();
        if (!host.backOff(policy.delay(f, attempt).toNanos())) {
          return;
        }
      } finally {
        host.reading(false);
      }
      response = host.reopen();
      if (response.kind() != FirstResponse.Kind.WHOLE) {
        response.open().abort();
        response.open().close();
        throw FetchFailure.fatal(Reason.SERVER_MISBEHAVED, "GET " + uri + " answered "
            + response.open().code() + " where it had answered 200 before; try again later");
      }
    }
  }
}
