package io.rangefetch.internal;

import io.rangefetch.ByteRange;
import io.rangefetch.DownloadException;
import io.rangefetch.DownloadException.Reason;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.List;
import org.apache.hc.client5.http.classic.methods.HttpGet;
import org.apache.hc.client5.http.protocol.HttpClientContext;
import org.apache.hc.core5.http.HttpEntity;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One worker of a ranged run: asks the scheduler for work, fetches it on one connection at a
 * time (a {@link ConnectionSession} per connection), and reports every outcome back, failures
 * included, so that retries are decided in one place. Confined to its thread.
 */
final class ChunkWorker implements BodyCopier.Progress {
  private static final Logger LOG = LoggerFactory.getLogger(ChunkWorker.class);

  final ChunkRun run;
  final ConnectionSlot slot;
  final WorkerBuffer buffer = WorkerBuffer.ofThisThread();
  // The source of the connection in hand, and its URL when the connection was chosen.
  Source source;
  URI at;

  ChunkWorker(ChunkRun run) {
    this.run = run;
    this.slot = run.scheduler.join();
    use(run.sources.main());
  }

  /**
   * Works until nothing is left or the run stops; first reads {@code first}, if given, on the
   * connection {@code firstPermit} counts. Each later connection waits for its host's permit.
   */
  void run(InFlight.@Nullable Open first, @Nullable ByteRange firstRange,
      HostAllowances.@Nullable Permit firstPermit) {
    try {
      if (first != null && firstRange != null) {
        use(run.sources.main());
        run.sources.connected(source);
        try {
          readFirst(first, firstRange);
        } finally {
          run.sources.disconnected(source);
        }
      }
      if (firstPermit != null) {
        firstPermit.close();
      }
      while (!run.host.stopping()) {
        if (run.sourceControl.checkOne(run.traffic, run.host,
            f -> run.host.fail(f, new ByteRange(0, 0)))) {
          continue; // a mirror or a new URL was checked on this worker's turn
        }
        // A worker waits for a connection only while chunks wait for one: the workers that
        // hold connections take what is queued later, so this one leaves, and a download
        // that is done does not wait for another download's connections to end.
        HostAllowances.Permit permit = connect();
        if (permit == null) {
          break;
        }
        run.sources.connected(source);
        try (permit) {
          ChunkScheduler.Work work = run.scheduler.next(slot);
          if (work.done()) {
            break;
          }
          Lease lease = work.lease();
          if (lease == null) {
            permit.close(); // no connection is kept while waiting for work
            if (!run.host.await(work.waitNanos())) {
              break;
            }
            continue;
          }
          fetch(lease, permit);
        } finally {
          run.sources.disconnected(source);
        }
      }
    } catch (RuntimeException | Error e) {
      LOG.error("download {}: worker failed unexpectedly", run.downloadId, e);
      run.host.fail(FetchFailure.bug(e), new ByteRange(0, 0));
    } finally {
      if (firstPermit != null) {
        firstPermit.close();
      }
      run.scheduler.leave(slot);
    }
  }

  /**
   * A connection's permit for the active source with the fewest connections whose host has
   * room, or, when none has, the first one's once it has; null if the run stopped meanwhile.
   * Sets {@link #source} and {@link #at}.
   */
  private HostAllowances.@Nullable Permit connect() {
    List<Source> candidates = run.sources.byLoad();
    if (candidates.isEmpty()) {
      candidates = List.of(run.sources.main());
    }
    for (Source candidate : candidates) {
      HostAllowances.Permit permit = run.traffic.tryConnection(candidate.fetchUri());
      if (permit != null) {
        use(candidate);
        return permit;
      }
    }
    use(candidates.get(0));
    return run.traffic.awaitConnection(at,
        nanos -> run.scheduler.hasPending() && run.host.await(nanos));
  }

  private void use(Source chosen) {
    source = chosen;
    at = chosen.fetchUri();
  }

  /** The body of the probe's response: the first chunk, read as it is, not pipelined. */
  private void readFirst(InFlight.Open open, ByteRange range) {
    Lease lease = run.scheduler.assign(slot, range);
    Ask ask = new Ask(lease, range, false);
    started(ask);
    try (open) {
      HttpEntity entity = open.response.getEntity();
      if (entity == null) {
        throw FetchFailure.retryable(Reason.SERVER_MISBEHAVED,
            Requests.describe(at, range) + " returned 206 without a body", null);
      }
      InputStream body = entity.getContent();
      long stopped = BodyCopier.copy(body, range, lease, run.part, buffer, this,
          Requests.describe(at, range));
      if (stopped <= range.last()) {
        open.abort(); // the tail went to another connection: this one has unread bytes
      }
      finished(ask);
    } catch (IOException | RuntimeException e) {
      open.abort();
      failed(ask, e);
    }
  }

  /** Fetches {@code lease}, and whatever else the scheduler gives while the connection lasts. */
  private void fetch(Lease lease, HostAllowances.Permit permit) {
    Ask ask = new Ask(lease, new ByteRange(lease.claimed(), lease.end() - 1), false);
    ConnectionSession session = new ConnectionSession(this, ask, permit);
    HttpGet get = source.requests().ranged(at, ask.range(), source.requireValidators().ifRange());
    HttpClientContext context = HttpClientContext.create();
    context.setAttribute(PipeliningRequestExecutor.SESSION, session);
    started(ask);
    try (InFlight.Open done = run.inFlight.execute(source.requests().client(), get, context)) {
      if (!session.ran()) {
        throw FetchFailure.retryable(Reason.SERVER_MISBEHAVED, Requests.describe(at,
            ask.range()) + " was answered without reaching the connection", null);
      }
    } catch (IOException | RuntimeException e) {
      session.failed(e);
    }
  }

  // ---- outcomes, for this worker and its sessions ----

  void started(Ask ask) {
    run.counters.request();
    announced(ask);
  }

  /**
   * Posts the chunkStart of a request. A request sent ahead is announced when its response
   * begins, so that one lost with its connection before its turn has no events at all.
   */
  void announced(Ask ask) {
    int attempt = ask.lease().attempt;
    ByteRange range = ask.range();
    run.host.post((l, d) -> l.chunkStart(d, range, attempt));
  }

  /** A request sent ahead never got its turn: its lease goes back, without events. */
  void unanswered(Ask ask) {
    run.scheduler.released(slot, ask.lease());
    run.host.wake();
  }

  /** This request is done with its lease: the lease is written, or others wrote the rest. */
  void finished(Ask ask) {
    source.succeeded();
    run.scheduler.finished(slot, ask.lease());
    run.host.wake();
    ByteRange range = ask.range();
    run.host.post((l, d) -> l.chunkEnd(d, range));
  }

  /** This request gives its lease back unfinished, for a reason that is nobody's failure. */
  void released(Ask ask, String why) {
    run.scheduler.released(slot, ask.lease());
    run.host.wake();
    ByteRange range = ask.range();
    DownloadException cause = new DownloadException(Reason.INTERRUPTED, at, why, null, range, -1);
    boolean again = !run.host.stopping();
    run.host.post((l, d) -> l.chunkFailed(d, range, cause, again));
  }

  /** This request failed with {@code e}. */
  void failed(Ask ask, Throwable e) {
    if (run.host.stopping()) {
      released(ask, "download stopped");
      return;
    }
    FetchFailure f = FailureClassifier.classify(e, Requests.describe(at, ask.range()));
    run.traffic.answered(at, f);
    SourceFailures.Verdict verdict = run.sourceControl.failures().after(source, at, f);
    if (verdict != SourceFailures.Verdict.USUAL) {
      released(ask, verdict == SourceFailures.Verdict.REFRESHED
          ? "URL refreshed after: " + f.getMessage() : "source dropped after: " + f.getMessage());
      return;
    }
    boolean retry = run.scheduler.failed(slot, ask.lease(), f);
    run.host.wake();
    ByteRange range = ask.range();
    DownloadException cause = f.toDownloadException(at, range);
    run.host.post((l, d) -> l.chunkFailed(d, range, cause, retry));
    if (!retry) {
      run.host.fail(f, range);
    }
  }

  @Override
  public void written(Lease lease, long position, int n) {
    run.host.written(position, n);
    source.delivered(n);
    slot.recordBytes(n, System.nanoTime());
    if (lease.written(n)) {
      run.host.chunkWritten(lease.range());
    }
  }

  @Override
  public void read(long position, long bodyEnd) throws IOException {
    if (run.host.stopping()) {
      throw new Stopped();
    }
  }

  @Override
  public int admit(int wanted) throws IOException {
    int allowed = run.traffic.admit(wanted, run.host::sleep);
    if (allowed < 0) {
      throw new Stopped();
    }
    return allowed;
  }

  @Override
  public void unused(int bytes) {
    run.traffic.unused(bytes);
  }

  /** The run stopped while a body was being read. */
  static final class Stopped extends IOException {
    private static final long serialVersionUID = 1L;

    Stopped() {
      super("download stopped");
    }
  }

  /** One request on the wire: the lease it serves and the bytes it asked for. */
  record Ask(Lease lease, ByteRange range, boolean pipelined) {}
}
