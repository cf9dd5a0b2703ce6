package io.rangefetch.internal;

import io.rangefetch.ByteRange;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import org.apache.hc.client5.http.io.ManagedHttpClientConnection;
import org.apache.hc.core5.http.ClassicHttpRequest;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpException;
import org.apache.hc.core5.http.HttpHeaders;
import org.apache.hc.core5.http.HttpVersion;
import org.apache.hc.core5.http.impl.DefaultConnectionReuseStrategy;
import org.apache.hc.core5.http.io.HttpClientConnection;
import org.apache.hc.core5.http.message.BasicClassicHttpRequest;
import org.apache.hc.core5.util.Timeout;
import org.jspecify.annotations.Nullable;

/**
 * The range requests of one worker on one connection. It sends the first request, then, while
 * a response's body is still arriving, the next request (HTTP/1.1 pipelining, one ahead), so
 * that no round trip is spent idle between two chunks. It stops when the scheduler has nothing
 * for it, and hands the connection back to HttpClient's pool.
 *
 * <p>A server that breaks a request sent ahead (closes the connection instead of answering,
 * answers nothing, or answers the wrong range) turns pipelining off for the rest of the run;
 * the chunk is asked for again, without counting as a failed attempt. Confined to the worker's
 * thread.
 */
final class ConnectionSession implements BodyCopier.Progress {
  /** A cut-short body with more than this left is never read to its end. */
  static final long DRAIN_BYTES = 256 * 1024;
  /** How long a request sent ahead may wait for its answer before pipelining is proven. */
  static final Timeout PIPELINE_PROBE_TIMEOUT = Timeout.ofSeconds(5);
  /** A request is sent ahead once the current body has two round trips and this left. */
  private static final long AHEAD_MARGIN_NANOS = 20_000_000L;

  private final ChunkWorker worker;
  private final ChunkRun run;
  // The host's permit for this connection: no further request once it no longer allows one.
  private final HostAllowances.Permit permit;
  private ChunkWorker.Ask current;
  private ChunkWorker.@Nullable Ask ahead;
  private boolean started;
  private boolean finished;
  // Whether current has had its chunkEnd: a failure after it belongs to no request.
  private boolean currentEnded;
  // For the response being read: may a request be sent ahead of it.
  private boolean mayAhead;
  private @Nullable ClassicHttpRequest template;
  private @Nullable HttpClientConnection conn;
  private long sentAt;
  // Whether this session shrank its socket's receive buffer: the connection is not pooled.
  private boolean paced;

  ConnectionSession(ChunkWorker worker, ChunkWorker.Ask first, HostAllowances.Permit permit) {
    this.worker = worker;
    this.run = worker.run;
    this.permit = permit;
    this.current = first;
  }

  /** Whether this session takes the connection: only for its own first request. */
  boolean claimConnection() {
    if (started) {
      return false;
    }
    started = true;
    return true;
  }

  /** Whether the session ran on a connection and ended normally. */
  boolean ran() {
    return finished;
  }

  /**
   * Sends {@code first} on {@code connection}, reads its answer, and goes on with the next
   * chunks while the scheduler has them and the connection lasts.
   *
   * @return the last response, its body read: the connection can go back to the pool
   */
  ClassicHttpResponse run(ClassicHttpRequest first, HttpClientConnection connection)
      throws IOException, HttpException {
    this.template = first;
    this.conn = connection;
    paceReceiveBuffer(connection);
    send(first);
    while (true) {
      ClassicHttpResponse response = receive();
      ByteRange served = check(response);
      boolean keepAlive = keepAlive(first, response);
      readBody(response, served, keepAlive);
      response.setEntity(null);
      ChunkWorker.Ask next = ahead;
      ahead = null;
      if (!keepAlive) {
        if (next != null) {
          // Sent ahead on a connection the server closes after this answer: never answered.
          worker.unanswered(next);
        }
        return end(response);
      }
      if (next == null) {
        next = nextFromScheduler();
        if (next == null) {
          return end(response);
        }
        current = next;
        currentEnded = false;
        worker.started(next);
        send(request(next.range()));
      } else {
        run.scheduler.aheadStarted(worker.slot);
        current = next;
        currentEnded = false;
        worker.announced(next);
      }
    }
  }

  private ClassicHttpResponse end(ClassicHttpResponse last) {
    finished = true;
    if (paced) {
      // Its small buffer would hold a later, unlimited download back: HttpClient closes it.
      last.setHeader(HttpHeaders.CONNECTION, "close");
    }
    return last;
  }

  /**
   * Under a rate limit, a small receive buffer: else the kernel takes a megabyte or more ahead
   * of the reads at once, and the server sees bursts instead of the rate.
   */
  private void paceReceiveBuffer(HttpClientConnection connection) throws IOException {
    long limit = run.traffic.limitInForce();
    if (limit > 0 && connection instanceof ManagedHttpClientConnection managed) {
      Socket socket = managed.getSocket();
      if (socket != null) {
        socket.setReceiveBufferSize(DownloadTraffic.receiveBuffer(limit, run.maxThreads));
        paced = true;
      }
    }
  }

  private ChunkWorker.@Nullable Ask nextFromScheduler() {
    if (run.host.stopping() || !permit.keep() || !worker.at.equals(worker.source.fetchUri())
        || run.sources.shouldMove(worker.source) || run.sourceControl.checkPending(run.traffic)) {
      // Its host has less room now, its source was dropped or given a new URL, others need the
      // connection more, or a source waits for its check.
      return null;
    }
    ChunkScheduler.Work work = run.scheduler.next(worker.slot);
    Lease lease = work.lease();
    if (lease == null) {
      return null;
    }
    return new ChunkWorker.Ask(lease, new ByteRange(lease.claimed(), lease.end() - 1), false);
  }

  private void send(ClassicHttpRequest request) throws IOException, HttpException {
    HttpClientConnection c = connection();
    c.sendRequestHeader(request);
    c.flush();
    sentAt = System.nanoTime();
  }

  private ClassicHttpResponse receive() throws IOException, HttpException {
    HttpClientConnection c = connection();
    boolean probing = current.pipelined() && !run.pipeliningProven();
    Timeout usual = c.getSocketTimeout();
    if (probing && (usual == null || usual.isDisabled()
        || usual.compareTo(PIPELINE_PROBE_TIMEOUT) > 0)) {
      c.setSocketTimeout(PIPELINE_PROBE_TIMEOUT);
    }
    ClassicHttpResponse response;
    // Responses this connection gave before, in this session or an earlier one.
    long answered = c.getEndpointDetails() == null ? 0 : c.getEndpointDetails().getResponseCount();
    try {
      response = c.receiveResponseHeader();
      while (response.getCode() < 200) {
        response = c.receiveResponseHeader();
      }
      c.receiveResponseEntity(response);
    } catch (SocketTimeoutException e) {
      if (current.pipelined()) {
        // A server that ignores requests sent ahead, or a slow one: the next attempts are
        // sent one at a time, and this one counts as failed.
        run.pipeliningBroke(worker.source, "no answer within " + c.getSocketTimeout());
      }
      throw e;
    } catch (IOException e) {
      if (answered > 0) {
        // A kept-alive connection closed instead of answering: the request never reached the
        // server's logic, and is sent again on a new connection without counting as an
        // attempt, as HttpClient's own retry strategy does. A request sent ahead that meets
        // this shows a server that does not keep them.
        if (current.pipelined()) {
          run.pipeliningBroke(worker.source, e.toString());
        }
        throw new Unanswered(e.toString());
      }
      throw e;
    } finally {
      if (probing) {
        c.setSocketTimeout(usual);
      }
    }
    if (!current.pipelined()) {
      worker.slot.recordLatency(System.nanoTime() - sentAt);
    }
    return response;
  }

  private ByteRange check(ClassicHttpResponse response) throws IOException {
    ChunkWorker.Ask ask = current;
    String what = Requests.describe(worker.at, ask.range());
    ByteRange served;
    try {
      served = ResponseCheck.served(response, ask.range(), worker.source.requireValidators(), what);
    } catch (FetchFailure f) {
      if (ask.pipelined() && f.isRetryable() && f.statusCode() < 0 && run.pipelining()) {
        throw pipelineBroke(f.getMessage());
      }
      throw f;
    }
    if (ask.pipelined()) {
      run.pipeliningWorks();
    }
    run.traffic.served(worker.at);
    if (served.last() < ask.range().last()) {
      run.scheduler.shortened(ask.lease(), served.last() + 1);
      run.host.wake(); // the rest waits for a connection
    }
    return served;
  }

  private void readBody(ClassicHttpResponse response, ByteRange served, boolean keepAlive)
      throws IOException {
    InputStream body = response.getEntity().getContent();
    mayAhead = keepAlive && run.pipelining() && worker.source.requests().pipelinable(worker.at);
    long stopped = BodyCopier.copy(body, served, current.lease(), run.part, worker.buffer, this,
        Requests.describe(worker.at, current.range()));
    worker.finished(current);
    currentEnded = true;
    long left = served.last() + 1 - stopped;
    if (left > 0) {
      // The tail of this chunk went to another connection.
      // Reading the rest keeps the connection only if that is quicker than a new one: a
      // small rest on a fast connection, never a slow one's.
      long rate = worker.slot.typicalRate();
      if (left > DRAIN_BYTES || !keepAlive || rate <= 0 || left > rate / 20) {
        throw new CutShort();
      }
      BodyCopier.drain(body, worker.buffer, left);
    }
  }

  @Override
  public void written(Lease lease, long position, int n) {
    worker.written(lease, position, n);
  }

  @Override
  public int admit(int wanted) throws IOException {
    return worker.admit(wanted);
  }

  @Override
  public void unused(int bytes) {
    worker.unused(bytes);
  }

  @Override
  public void read(long position, long bodyEnd) throws IOException {
    worker.read(position, bodyEnd);
    if (run.scheduler.shouldReconnect(worker.slot)) {
      throw new Reconnect();
    }
    if (mayAhead && ahead == null && timeToSendAhead(position, bodyEnd)) {
      if (!permit.stillAllowed()) {
        mayAhead = false; // the host asks for fewer connections, or to wait
        return;
      }
      Lease next = run.scheduler.ahead(worker.slot);
      if (next == null) {
        mayAhead = false; // nothing queued now; the end game is the scheduler's
        return;
      }
      ChunkWorker.Ask ask = new ChunkWorker.Ask(next,
          new ByteRange(next.claimed(), next.end() - 1), true);
      ahead = ask;
      run.counters.request(); // announced when its answer begins
      try {
        send(request(ask.range()));
      } catch (HttpException e) {
        throw new IOException(e);
      }
    }
  }

  /**
   * Whether the current body ends within about two round trips: the next request then
   * arrives as the body ends, and does not wait long behind it (a chunk sent ahead on a slow
   * connection would be stuck there).
   */
  private boolean timeToSendAhead(long position, long bodyEnd) {
    long left = Math.min(bodyEnd, current.lease().end()) - position;
    long rate = worker.slot.busyRate(System.nanoTime());
    if (rate <= 0) {
      return false;
    }
    long latency = worker.slot.latencyNanos();
    long horizon = 2 * Math.max(latency, 0) + AHEAD_MARGIN_NANOS;
    return left * 1e9 / rate <= horizon;
  }

  /** The next range request, shaped as HttpClient shaped the first one on this connection. */
  private ClassicHttpRequest request(ByteRange range) {
    ClassicHttpRequest first = template;
    if (first == null) {
      throw new IllegalStateException("no request sent yet");
    }
    BasicClassicHttpRequest next = new BasicClassicHttpRequest(first.getMethod(), first.getPath());
    next.setScheme(first.getScheme());
    next.setAuthority(first.getAuthority());
    next.setVersion(first.getVersion());
    String target = first.getRequestUri();
    next.setAbsoluteRequestUri(target != null && target.contains("://"));
    for (Header header : first.getHeaders()) {
      String name = header.getName();
      if (!name.equalsIgnoreCase(HttpHeaders.RANGE)) {
        next.addHeader(header);
      }
    }
    next.setHeader(HttpHeaders.RANGE, "bytes=" + range.first() + "-" + range.last());
    return next;
  }

  private static boolean keepAlive(ClassicHttpRequest request, ClassicHttpResponse response) {
    return (response.getVersion() == null || response.getVersion().greaterEquals(HttpVersion.HTTP_1_1))
        && DefaultConnectionReuseStrategy.INSTANCE.keepAlive(request, response, null);
  }

  private IOException pipelineBroke(String why) {
    run.pipeliningBroke(worker.source, why);
    return new Unanswered(why);
  }

  /**
   * Ends the session after {@code e}: the request being read and the one sent ahead give their
   * leases back, as a failure or, when the session itself chose to stop, without one.
   */
  void failed(Throwable e) {
    ChunkWorker.Ask reading = current;
    ChunkWorker.Ask sentAhead = ahead;
    ahead = null;
    if (e instanceof CutShort) {
      // Current is finished already; only the request sent ahead is lost with the connection.
      if (sentAhead != null) {
        worker.unanswered(sentAhead);
      }
      return;
    }
    if (sentAhead != null) {
      worker.unanswered(sentAhead);
    }
    if (currentEnded) {
      return;
    }
    if (e instanceof Reconnect) {
      worker.released(reading, "replacing a connection far slower than the others");
      run.scheduler.reconnected(worker.slot);
    } else if (e instanceof Unanswered) {
      worker.released(reading, "not answered on a kept-alive connection: " + e.getMessage());
    } else if (!currentEnded) {
      worker.failed(reading, e);
    }
  }

  private HttpClientConnection connection() {
    HttpClientConnection c = conn;
    if (c == null) {
      throw new IllegalStateException("no connection yet");
    }
    return c;
  }

  /** The session closes its connection: the rest of a body is not wanted. */
  static final class CutShort extends IOException {
    private static final long serialVersionUID = 1L;

    CutShort() {
      super("chunk cut short: its tail went to another connection");
    }
  }

  /** The session closes its connection to open a faster one. */
  static final class Reconnect extends IOException {
    private static final long serialVersionUID = 1L;

    Reconnect() {
      super("connection far slower than the others; opening a new one");
    }
  }

  /**
   * A request was not answered as it should have been, for a reason that is the connection's
   * (closed while kept alive) or pipelining's, not the request's: it is sent again.
   */
  static final class Unanswered extends IOException {
    private static final long serialVersionUID = 1L;

    Unanswered(String why) {
      super(why);
    }
  }
}
