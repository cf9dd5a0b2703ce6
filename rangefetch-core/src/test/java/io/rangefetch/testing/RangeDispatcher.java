package io.rangefetch.testing;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.RecordedRequest;

/**
 * A MockWebServer {@link Dispatcher} that serves one byte array at every path with real HTTP
 * range semantics (RFC 9110): {@code Range: bytes=a-b} gets {@code 206} with
 * {@code Content-Range}, no Range gets {@code 200}, an unsatisfiable range gets {@code 416}, and
 * an {@code If-Range} that does not match the current ETag gets the whole current body.
 *
 * <p>It records every request, counts the body bytes it wrote, and tracks how many responses
 * were being written at once, so tests assert caps from the server's side. Every body is
 * written by this class through a socket handler: a response counts as in flight from the
 * moment its headers are written until its body is done or its connection fails, which is
 * never longer than the client holds the request.
 *
 * <p>It misbehaves on demand: see {@link #inject}, {@link #ignoreRange()},
 * {@link #changeContentAfter}, {@link #redirect} and the header options. Thread-safe:
 * configure it before the download starts; only the pace ({@link #throttle},
 * {@link #fullSpeed()}) may change while one runs.
 *
 * <p>The work is shared out: {@link ResponsePlanner} decides a file response, {@link Fault}s
 * change it, {@link ResponseWriter} writes it, and {@link ExchangeLog} records what happened.
 */
public final class RangeDispatcher extends Dispatcher {
  public static final String ETAG = "\"v1\"";
  public static final String CHANGED_ETAG = "\"v2\"";
  public static final String LAST_MODIFIED = "Tue, 03 Nov 2026 10:00:00 GMT";
  public static final String CHANGED_LAST_MODIFIED = "Wed, 04 Nov 2026 10:00:00 GMT";

  private record Redirect(int code, String location) {}

  // Configuration: written by the test before the download starts, read by server threads.
  private volatile String requiredAuthorization;
  private volatile int refuseAbove = Integer.MAX_VALUE;
  private volatile int refusalCode;
  private volatile String[] refusalHeaders = new String[0];
  private final Map<String, Redirect> redirects = new ConcurrentHashMap<>();
  private final FaultRules faults = new FaultRules();
  private final ResponsePlanner planner;

  private final ExchangeLog log = new ExchangeLog();
  private final ResponseWriter writer = new ResponseWriter(log);

  public RangeDispatcher(byte[] content) {
    this.planner = new ResponsePlanner(content);
  }

  // ---------------------------------------------------------------- configuration

  /**
   * Also counts this server's responses in flight on {@code gauge}, which several servers
   * share: the mirrors of one file, whose caps hold together.
   */
  public RangeDispatcher shareFlightGauge(FlightGauge gauge) {
    log.shareFlightGauge(gauge);
    return this;
  }

  /** Runs {@code hooks} at each step of every file response: see {@link BodyHooks}. */
  public RangeDispatcher hooks(BodyHooks hooks) {
    planner.hooks(hooks);
    return this;
  }

  /** Answers every request with {@code 200} and the whole body, while still advertising ranges. */
  public RangeDispatcher ignoreRange() {
    planner.ignoreRange();
    return this;
  }

  /** Serves ranges whatever the {@code If-Range} says, as some caches do. */
  public RangeDispatcher ignoreIfRange() {
    planner.ignoreIfRange();
    return this;
  }

  /** Sends no {@code ETag}: Last-Modified is the only validator. */
  public RangeDispatcher withoutEtag() {
    planner.withoutEtag();
    return this;
  }

  /** Whether responses carry {@code Accept-Ranges: bytes}. Default: true. */
  public RangeDispatcher advertiseRanges(boolean advertise) {
    planner.advertiseRanges(advertise);
    return this;
  }

  /** How {@code 200} responses delimit the whole body. Default: Content-Length. */
  public RangeDispatcher wholeBodyFraming(Framing framing) {
    planner.wholeBodyFraming(framing);
    return this;
  }

  /** Sends this {@code Content-Disposition} header value, raw, on every file response. */
  public RangeDispatcher contentDisposition(String value) {
    planner.contentDisposition(value);
    return this;
  }

  /**
   * Replaces the honest {@code Content-Length} of every file response with these raw values (one
   * header each) and closes the connection after the body, so a client that believes the lie
   * sees the end of the stream instead of waiting forever.
   */
  public RangeDispatcher contentLengthHeaders(String... values) {
    planner.contentLengthHeaders(List.of(values));
    return this;
  }

  /** Claims this total, even a negative one, in every 206's {@code Content-Range}; bodies stay honest. */
  public RangeDispatcher announceTotal(long total) {
    planner.announceTotal(total);
    return this;
  }

  /** Sends this {@code Set-Cookie} header value on every file response. */
  public RangeDispatcher setCookie(String value) {
    planner.setCookie(value);
    return this;
  }

  /** Adds {@code name: value} to every response, for example a digest of the file. */
  public RangeDispatcher extraHeader(String name, String value) {
    planner.extraHeader(name, value);
    return this;
  }

  /** Adds this many {@code X-Filler-N} headers to every response. */
  public RangeDispatcher fillerHeaders(int count) {
    writer.fillerHeaders(count);
    return this;
  }

  /** Answers {@code 401} with a Basic challenge unless the request carries these credentials. */
  public RangeDispatcher requireBasicAuth(String user, String password) {
    this.requiredAuthorization = basic(user, password);
    return this;
  }

  /**
   * Writes bodies at a pace: {@code bytes} per {@code pause}, so that requests overlap. Bodies
   * being written take the new pace from their next slice on. Default: {@link #fullSpeed()}.
   */
  public RangeDispatcher throttle(int bytes, Duration pause) {
    writer.throttle(bytes, pause.toNanos());
    return this;
  }

  /** Writes bodies as fast as it can, the ones being written too from their next slice on. */
  public RangeDispatcher fullSpeed() {
    return throttle(ResponseWriter.WRITE_SLICE, Duration.ZERO);
  }

  /**
   * Writes the bodies of one connection, the {@code connectionIndex}-th the server accepted
   * (0 for the first), at {@code bytes} per {@code pause}; the others at the usual pace. A
   * straggler: one slow TCP connection among fast ones.
   */
  public RangeDispatcher throttleConnection(int connectionIndex, int bytes, Duration pause) {
    writer.throttleConnection(connectionIndex, bytes, pause.toNanos());
    return this;
  }

  /**
   * Answers a range with at most {@code maxBytes} bytes: a valid, shorter {@code 206} whose
   * {@code Content-Range} covers the first part of what was asked, as servers that cap a
   * response's size do.
   */
  public RangeDispatcher capResponses(long maxBytes) {
    planner.capResponses(maxBytes);
    return this;
  }

  /**
   * Closes each connection after one response, without saying so in a {@code Connection}
   * header: a server that does not keep requests sent ahead on the same connection.
   */
  public RangeDispatcher closeAfterEachResponse() {
    writer.closeAfterEachResponse();
    return this;
  }

  /**
   * Serves {@code content} under {@link #CHANGED_ETAG} and {@link #CHANGED_LAST_MODIFIED} to
   * every request after the first {@code requests} ones.
   */
  public RangeDispatcher changeContentAfter(int requests, byte[] content) {
    planner.changeContentAfter(requests, content);
    return this;
  }

  /** Answers requests for {@code path} with {@code code} and {@code Location: location}. */
  public RangeDispatcher redirect(String path, int code, String location) {
    redirects.put(path, new Redirect(code, location));
    return this;
  }

  /** Applies {@code fault} to the next {@code times} file requests that {@code when} accepts. */
  public RangeDispatcher inject(Fault fault, Predicate<Exchange> when, int times) {
    faults.add(fault, when, times);
    return this;
  }

  /** Applies {@code fault} to every file request that {@code when} accepts. */
  public RangeDispatcher always(Fault fault, Predicate<Exchange> when) {
    return inject(fault, when, Integer.MAX_VALUE);
  }

  public static Predicate<Exchange> anyRequest() {
    return exchange -> true;
  }

  public static Predicate<Exchange> rangeStartingAt(long first) {
    return exchange -> exchange.first() == first;
  }

  /** Requests whose range starts inside {@code [from, to]}: one chunk and its resumptions. */
  public static Predicate<Exchange> rangeStartingWithin(long from, long to) {
    return exchange -> exchange.first() >= from && exchange.first() <= to;
  }

  public static String basic(String user, String password) {
    return "Basic " + Base64.getEncoder()
        .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Gives each connection a socket send buffer of {@code bytes}, so that what the server counts
   * as written is close to what the client read: loopback's own buffers grow to megabytes.
   */
  public RangeDispatcher sendBuffer(int bytes) {
    writer.sendBuffer(bytes);
    return this;
  }

  /**
   * Answers {@code code} with {@code headerLines} to a request that arrives while
   * {@code responses} responses are being written already: a host that takes only so many
   * connections, such as one that answers {@code 503} with {@code Retry-After}.
   */
  public RangeDispatcher refuseAbove(int responses, int code, String... headerLines) {
    this.refusalCode = code;
    this.refusalHeaders = headerLines.clone();
    this.refuseAbove = responses;
    return this;
  }

  // ---------------------------------------------------------------- observations

  /** Every request received, in arrival order. */
  public List<Exchange> exchanges() {
    return log.exchanges();
  }

  /** The {@code Range} header of every request, "" when none, in arrival order. */
  public List<String> ranges() {
    return log.ranges();
  }

  /** The requests that carried a {@code Range} header, in arrival order. */
  public List<Exchange> rangedExchanges() {
    return log.rangedExchanges();
  }

  public List<Exchange> exchangesTo(String path) {
    return log.exchangesTo(path);
  }

  /**
   * When the body bytes written, over every response, first reached {@code bytes}
   * ({@link System#nanoTime()}), or -1 if they have not.
   */
  public long nanosWhenServed(long bytes) {
    return log.nanosWhenServed(bytes);
  }

  /** The body bytes written, over every response, by {@code nanos} ({@link System#nanoTime()}). */
  public long servedBy(long nanos) {
    return log.servedBy(nanos);
  }

  /**
   * Waits until the body bytes written, over every response, reach {@code bytes}.
   *
   * @return whether that happened within {@code timeout}
   */
  public boolean awaitServed(long bytes, Duration timeout) throws InterruptedException {
    return log.awaitServed(bytes, timeout);
  }

  /** Body bytes written to sockets, over every response. */
  public long bytesServed() {
    return log.bytesServed();
  }

  /** The most responses that were being written at the same moment. */
  public int maxInFlight() {
    return log.maxInFlight();
  }

  /** Responses being written now. */
  public int inFlight() {
    return log.inFlight();
  }

  /**
   * Waits until no response is being written.
   *
   * @return whether that happened within {@code timeout}
   */
  public boolean awaitIdle(Duration timeout) throws InterruptedException {
    return log.awaitIdle(timeout);
  }

  /**
   * Waits until a request that {@code matching} accepts has arrived.
   *
   * @return the first such request, or null if none came within {@code timeout}
   */
  public Exchange awaitRequest(Predicate<Exchange> matching, Duration timeout)
      throws InterruptedException {
    return log.awaitRequest(matching, timeout);
  }

  // ---------------------------------------------------------------- serving

  @Override
  public MockResponse dispatch(RecordedRequest request) throws InterruptedException {
    Exchange exchange = log.arrived(request);
    if (requiredAuthorization != null
        && !requiredAuthorization.equals(exchange.authorization())) {
      return writer.respond(exchange,
          ResponsePlan.status(401, "WWW-Authenticate: Basic realm=\"files\""));
    }
    Redirect redirect = redirects.get(exchange.path());
    if (redirect != null) {
      return writer.respond(exchange,
          ResponsePlan.status(redirect.code(), "Location: " + redirect.location()));
    }
    if (log.inFlight() >= refuseAbove) {
      return writer.respond(exchange, ResponsePlan.status(refusalCode, refusalHeaders));
    }
    // A request that arrives on a connection this server already cut (a client that sent it
    // ahead, pipelined) is never answered: it does not use up a fault meant for a real answer.
    Fault fault = writer.wasCut(exchange.connectionIndex()) ? null : faults.take(exchange);
    if (fault != null && fault.kind == Fault.Kind.STATUS) {
      return writer.respond(exchange, ResponsePlan.status(fault.status, fault.headerLines));
    }
    ResponsePlan plan = planner.plan(exchange, fault);
    plan.hooks.beforeHeaders();
    return writer.respond(exchange, plan);
  }
}
