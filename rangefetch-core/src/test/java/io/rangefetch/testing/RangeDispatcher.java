package io.rangefetch.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.RecordedRequest;
import mockwebserver3.internal.MockWebServerSocket;
import okio.BufferedSink;
import okio.Socket;

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
 */
public final class RangeDispatcher extends Dispatcher {
  public static final String ETAG = "\"v1\"";
  public static final String CHANGED_ETAG = "\"v2\"";
  public static final String LAST_MODIFIED = "Tue, 03 Nov 2026 10:00:00 GMT";
  public static final String CHANGED_LAST_MODIFIED = "Wed, 04 Nov 2026 10:00:00 GMT";

  private static final Pattern SINGLE_RANGE = Pattern.compile("bytes=(\\d*)-(\\d*)");
  private static final int WRITE_SLICE = 16 * 1024;

  /** How a {@code 200} whole body is delimited. */
  public enum Framing {
    CONTENT_LENGTH,
    CHUNKED,
    /** No length at all: the body ends when the server closes the connection. */
    CLOSE_DELIMITED
  }

  private record Version(byte[] bytes, String etag, String lastModified) {}

  private record Rule(Fault fault, Predicate<Exchange> when, AtomicInteger remaining) {}

  private record Redirect(int code, String location) {}

  // Configuration: written by the test before the download starts, read by server threads.
  private final Version original;
  private volatile Version changed;
  private volatile int changeAfterRequests = Integer.MAX_VALUE;
  private volatile boolean ignoreRange;
  private volatile boolean advertiseRanges = true;
  private volatile boolean honourIfRange = true;
  private volatile boolean sendEtag = true;
  private volatile Framing wholeBodyFraming = Framing.CONTENT_LENGTH;
  private volatile String contentDisposition;
  private volatile List<String> contentLengthOverride = List.of();
  private volatile long announcedTotal = Long.MIN_VALUE; // MIN_VALUE: the honest total
  private volatile int fillerHeaders;
  private volatile String setCookie;
  private final Map<String, String> extraHeaders = new java.util.concurrent.ConcurrentHashMap<>();
  private volatile String requiredAuthorization;
  private volatile int sliceBytes = WRITE_SLICE;
  private volatile long slicePauseNanos;
  private volatile int slowConnection = -1;
  private volatile int slowSliceBytes;
  private volatile long slowPauseNanos;
  private volatile long responseCap = Long.MAX_VALUE;
  private volatile boolean closeAfterEachResponse;
  private volatile int sendBufferBytes;
  private volatile int refuseAbove = Integer.MAX_VALUE;
  private volatile int refusalCode;
  private volatile String[] refusalHeaders = new String[0];
  private final List<Rule> rules = new CopyOnWriteArrayList<>();
  private final Map<String, Redirect> redirects = new ConcurrentHashMap<>();
  private final java.util.Set<Integer> cutConnections = ConcurrentHashMap.newKeySet();

  private volatile FlightGauge sharedGauge;
  private volatile BodyHooks hooks = BodyHooks.NONE;

  // Observations.
  private final List<Exchange> exchanges = new CopyOnWriteArrayList<>();
  private final AtomicInteger requestCount = new AtomicInteger();
  private final AtomicLong bytesServed = new AtomicLong();
  private final ReentrantLock flightLock = new ReentrantLock();
  private final Condition flightChanged = flightLock.newCondition(); // also: a request came
  private int inFlight; // guarded by flightLock
  private int maxInFlight; // guarded by flightLock
  private final List<long[]> servedTimeline = new ArrayList<>(); // guarded by flightLock

  public RangeDispatcher(byte[] content) {
    this.original = new Version(content.clone(), ETAG, LAST_MODIFIED);
    this.changed = original;
  }

  // ---------------------------------------------------------------- configuration

  /**
   * Also counts this server's responses in flight on {@code gauge}, which several servers
   * share: the mirrors of one file, whose caps hold together.
   */
  public RangeDispatcher shareFlightGauge(FlightGauge gauge) {
    this.sharedGauge = gauge;
    return this;
  }

  /** Responses in flight over several servers, and the most there were at once. */
  public static final class FlightGauge {
    private int now; // guarded by this
    private int max; // guarded by this

    synchronized void enter() {
      now++;
      max = Math.max(max, now);
    }

    synchronized void exit() {
      now--;
    }

    /** The most responses that were being written at the same moment, over all servers. */
    public synchronized int max() {
      return max;
    }
  }

  /** Runs {@code hooks} at each step of every file response: see {@link BodyHooks}. */
  public RangeDispatcher hooks(BodyHooks hooks) {
    this.hooks = Objects.requireNonNull(hooks);
    return this;
  }

  /** Answers every request with {@code 200} and the whole body, while still advertising ranges. */
  public RangeDispatcher ignoreRange() {
    this.ignoreRange = true;
    return this;
  }

  /** Serves ranges whatever the {@code If-Range} says, as some caches do. */
  public RangeDispatcher ignoreIfRange() {
    this.honourIfRange = false;
    return this;
  }

  /** Sends no {@code ETag}: Last-Modified is the only validator. */
  public RangeDispatcher withoutEtag() {
    this.sendEtag = false;
    return this;
  }

  /** Whether responses carry {@code Accept-Ranges: bytes}. Default: true. */
  public RangeDispatcher advertiseRanges(boolean advertise) {
    this.advertiseRanges = advertise;
    return this;
  }

  /** How {@code 200} responses delimit the whole body. Default: Content-Length. */
  public RangeDispatcher wholeBodyFraming(Framing framing) {
    this.wholeBodyFraming = Objects.requireNonNull(framing);
    return this;
  }

  /** Sends this {@code Content-Disposition} header value, raw, on every file response. */
  public RangeDispatcher contentDisposition(String value) {
    this.contentDisposition = value;
    return this;
  }

  /**
   * Replaces the honest {@code Content-Length} of every file response with these raw values (one
   * header each) and closes the connection after the body, so a client that believes the lie
   * sees the end of the stream instead of waiting forever.
   */
  public RangeDispatcher contentLengthHeaders(String... values) {
    this.contentLengthOverride = List.of(values);
    return this;
  }

  /** Claims this total, even a negative one, in every 206's {@code Content-Range}; bodies stay honest. */
  public RangeDispatcher announceTotal(long total) {
    this.announcedTotal = total;
    return this;
  }

  /** Sends this {@code Set-Cookie} header value on every file response. */
  public RangeDispatcher setCookie(String value) {
    this.setCookie = value;
    return this;
  }

  /** Adds {@code name: value} to every response, for example a digest of the file. */
  public RangeDispatcher extraHeader(String name, String value) {
    extraHeaders.put(name, value);
    return this;
  }

  /** Adds this many {@code X-Filler-N} headers to every response. */
  public RangeDispatcher fillerHeaders(int count) {
    this.fillerHeaders = count;
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
    this.sliceBytes = bytes;
    this.slicePauseNanos = pause.toNanos();
    return this;
  }

  /** Writes bodies as fast as it can, the ones being written too from their next slice on. */
  public RangeDispatcher fullSpeed() {
    return throttle(WRITE_SLICE, Duration.ZERO);
  }

  /**
   * Writes the bodies of one connection, the {@code connectionIndex}-th the server accepted
   * (0 for the first), at {@code bytes} per {@code pause}; the others at the usual pace. A
   * straggler: one slow TCP connection among fast ones.
   */
  public RangeDispatcher throttleConnection(int connectionIndex, int bytes, Duration pause) {
    this.slowSliceBytes = bytes;
    this.slowPauseNanos = pause.toNanos();
    this.slowConnection = connectionIndex;
    return this;
  }

  /**
   * Answers a range with at most {@code maxBytes} bytes: a valid, shorter {@code 206} whose
   * {@code Content-Range} covers the first part of what was asked, as servers that cap a
   * response's size do.
   */
  public RangeDispatcher capResponses(long maxBytes) {
    this.responseCap = maxBytes;
    return this;
  }

  /**
   * Closes each connection after one response, without saying so in a {@code Connection}
   * header: a server that does not keep requests sent ahead on the same connection.
   */
  public RangeDispatcher closeAfterEachResponse() {
    this.closeAfterEachResponse = true;
    return this;
  }

  /**
   * Serves {@code content} under {@link #CHANGED_ETAG} and {@link #CHANGED_LAST_MODIFIED} to
   * every request after the first {@code requests} ones.
   */
  public RangeDispatcher changeContentAfter(int requests, byte[] content) {
    this.changed = new Version(content.clone(), CHANGED_ETAG, CHANGED_LAST_MODIFIED);
    this.changeAfterRequests = requests;
    return this;
  }

  /** Answers requests for {@code path} with {@code code} and {@code Location: location}. */
  public RangeDispatcher redirect(String path, int code, String location) {
    redirects.put(path, new Redirect(code, location));
    return this;
  }

  /** Applies {@code fault} to the next {@code times} file requests that {@code when} accepts. */
  public RangeDispatcher inject(Fault fault, Predicate<Exchange> when, int times) {
    rules.add(new Rule(fault, when, new AtomicInteger(times)));
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

  // ---------------------------------------------------------------- observations

  /** Every request received, in arrival order. */
  public List<Exchange> exchanges() {
    return List.copyOf(exchanges);
  }

  /** The {@code Range} header of every request, "" when none, in arrival order. */
  public List<String> ranges() {
    return exchanges.stream().map(Exchange::range).toList();
  }

  /** The requests that carried a {@code Range} header, in arrival order. */
  public List<Exchange> rangedExchanges() {
    return exchanges.stream().filter(Exchange::hasRange).toList();
  }

  public List<Exchange> exchangesTo(String path) {
    return exchanges.stream().filter(e -> e.path().equals(path)).toList();
  }

  /**
   * Gives each connection a socket send buffer of {@code bytes}, so that what the server counts
   * as written is close to what the client read: loopback's own buffers grow to megabytes.
   */
  public RangeDispatcher sendBuffer(int bytes) {
    this.sendBufferBytes = bytes;
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

  /**
   * When the body bytes written, over every response, first reached {@code bytes}
   * ({@link System#nanoTime()}), or -1 if they have not.
   */
  public long nanosWhenServed(long bytes) {
    flightLock.lock();
    try {
      for (long[] point : servedTimeline) {
        if (point[1] >= bytes) {
          return point[0];
        }
      }
      return -1;
    } finally {
      flightLock.unlock();
    }
  }

  /** The body bytes written, over every response, by {@code nanos} ({@link System#nanoTime()}). */
  public long servedBy(long nanos) {
    flightLock.lock();
    try {
      long total = 0;
      for (long[] point : servedTimeline) {
        if (point[0] > nanos) {
          break;
        }
        total = point[1];
      }
      return total;
    } finally {
      flightLock.unlock();
    }
  }

  /**
   * Waits until the body bytes written, over every response, reach {@code bytes}.
   *
   * @return whether that happened within {@code timeout}
   */
  public boolean awaitServed(long bytes, Duration timeout) throws InterruptedException {
    long left = timeout.toNanos();
    flightLock.lock();
    try {
      while (bytesServed.get() < bytes) {
        if (left <= 0) {
          return false;
        }
        left = flightChanged.awaitNanos(left);
      }
      return true;
    } finally {
      flightLock.unlock();
    }
  }

  /** Body bytes written to sockets, over every response. */
  public long bytesServed() {
    return bytesServed.get();
  }

  /** The most responses that were being written at the same moment. */
  public int maxInFlight() {
    flightLock.lock();
    try {
      return maxInFlight;
    } finally {
      flightLock.unlock();
    }
  }

  /** Responses being written now. */
  public int inFlight() {
    flightLock.lock();
    try {
      return inFlight;
    } finally {
      flightLock.unlock();
    }
  }

  /**
   * Waits until no response is being written.
   *
   * @return whether that happened within {@code timeout}
   */
  public boolean awaitIdle(Duration timeout) throws InterruptedException {
    long left = timeout.toNanos();
    flightLock.lock();
    try {
      while (inFlight > 0) {
        if (left <= 0) {
          return false;
        }
        left = flightChanged.awaitNanos(left);
      }
      return true;
    } finally {
      flightLock.unlock();
    }
  }

  /**
   * Waits until a request that {@code matching} accepts has arrived.
   *
   * @return the first such request, or null if none came within {@code timeout}
   */
  public Exchange awaitRequest(Predicate<Exchange> matching, Duration timeout)
      throws InterruptedException {
    long left = timeout.toNanos();
    flightLock.lock();
    try {
      while (true) {
        for (Exchange e : exchanges) {
          if (matching.test(e)) {
            return e;
          }
        }
        if (left <= 0) {
          return null;
        }
        left = flightChanged.awaitNanos(left);
      }
    } finally {
      flightLock.unlock();
    }
  }

  // ---------------------------------------------------------------- serving

  @Override
  public MockResponse dispatch(RecordedRequest request) throws InterruptedException {
    Exchange exchange = new Exchange(requestCount.incrementAndGet(), request);
    exchanges.add(exchange);
    flightLock.lock();
    try {
      flightChanged.signalAll();
    } finally {
      flightLock.unlock();
    }
    Version version = exchange.index() > changeAfterRequests ? changed : original;

    if (requiredAuthorization != null
        && !requiredAuthorization.equals(exchange.authorization())) {
      return respond(exchange, Plan.status(401, "WWW-Authenticate: Basic realm=\"files\""));
    }
    Redirect redirect = redirects.get(exchange.path());
    if (redirect != null) {
      return respond(exchange, Plan.status(redirect.code(), "Location: " + redirect.location()));
    }
    if (inFlight() >= refuseAbove) {
      return respond(exchange, Plan.status(refusalCode, refusalHeaders));
    }
    // A request that arrives on a connection this server already cut (a client that sent it
    // ahead, pipelined) is never answered: it does not use up a fault meant for a real answer.
    Fault fault = cutConnections.contains(exchange.connectionIndex()) ? null : takeFault(exchange);
    if (fault != null && fault.kind == Fault.Kind.STATUS) {
      return respond(exchange, Plan.status(fault.status, fault.headerLines));
    }
    Plan plan = planFile(exchange, version, fault);
    plan.hooks.beforeHeaders();
    return respond(exchange, plan);
  }

  private Fault takeFault(Exchange exchange) {
    for (Rule rule : rules) {
      if (rule.when().test(exchange) && rule.remaining().getAndDecrement() > 0) {
        return rule.fault();
      }
    }
    return null;
  }

  private Plan planFile(Exchange exchange, Version version, Fault fault) {
    byte[] bytes = version.bytes();
    long total = bytes.length;
    Plan plan = new Plan();
    plan.bytes = bytes;
    plan.hooks = hooks;
    plan.head = exchange.method().equals("HEAD");
    if (sendEtag) {
      plan.header("ETag", version.etag());
    }
    plan.header("Last-Modified", version.lastModified());
    plan.header("Content-Type", "application/octet-stream");
    if (advertiseRanges) {
      plan.header("Accept-Ranges", "bytes");
    }
    if (setCookie != null) {
      plan.header("Set-Cookie", setCookie);
    }
    extraHeaders.forEach(plan::header);
    if (contentDisposition != null) {
      plan.header("Content-Disposition", contentDisposition);
    }

    Matcher single = exchange.hasRange() ? SINGLE_RANGE.matcher(exchange.range().trim()) : null;
    boolean ranged = single != null && single.matches() && !ignoreRange
        && (!honourIfRange || ifRangeMatches(exchange.ifRange(), version))
        && (fault == null || fault.kind != Fault.Kind.WHOLE_BODY_200);
    if (!ranged) {
      plan.code = 200;
      plan.offset = 0;
      plan.length = total;
      plan.framing = wholeBodyFraming;
    } else {
      long[] bounds = resolve(single, total);
      if (bounds == null) {
        plan.code = 416;
        plan.header("Content-Range", "bytes */" + total);
        plan.bytes = new byte[0];
        plan.framing = Framing.CONTENT_LENGTH;
        return plan;
      }
      long first = bounds[0];
      long last = bounds[1];
      long labelTotal = announcedTotal != Long.MIN_VALUE ? announcedTotal : total;
      if (fault != null && fault.kind == Fault.Kind.SHIFTED_CONTENT_RANGE) {
        first = Math.min(first + fault.shift, total - 1);
        last = Math.min(last + fault.shift, total - 1);
      }
      if (fault != null && fault.kind == Fault.Kind.WRONG_TOTAL) {
        labelTotal = total + 1000;
      }
      if (last - first + 1 > responseCap) {
        last = first + responseCap - 1;
      }
      plan.code = 206;
      plan.offset = first;
      plan.length = last - first + 1;
      plan.framing = Framing.CONTENT_LENGTH;
      plan.header("Content-Range", "bytes " + first + "-" + last + "/" + labelTotal);
    }
    if (fault != null) {
      switch (fault.kind) {
        case DISCONNECT_HALFWAY -> plan.cutAfter = plan.length / 2;
        case SHORT_BODY -> {
          plan.declaredLength = plan.length / 2;
          plan.length = plan.length / 2;
        }
        case STALL -> plan.stall = true;
        case STALL_HALFWAY -> {
          plan.cutAfter = plan.length / 2;
          plan.stall = true;
        }
        default -> { }
      }
    }
    if (!contentLengthOverride.isEmpty()) {
      plan.rawContentLengths = contentLengthOverride;
      plan.framing = Framing.CLOSE_DELIMITED;
    }
    return plan;
  }

  private static boolean ifRangeMatches(String ifRange, Version version) {
    return ifRange.isEmpty() || ifRange.equals(version.etag())
        || ifRange.equals(version.lastModified());
  }

  /** Returns {first, last} for a satisfiable single range, or null for 416. */
  private static long[] resolve(Matcher single, long total) {
    String a = single.group(1);
    String b = single.group(2);
    if (a.isEmpty()) {
      long suffix = b.isEmpty() ? 0 : parse(b);
      if (suffix == 0 || total == 0) {
        return null;
      }
      return new long[] {Math.max(0, total - suffix), total - 1};
    }
    long first = parse(a);
    long last = b.isEmpty() ? total - 1 : Math.min(parse(b), total - 1);
    if (first >= total || (!b.isEmpty() && parse(b) < first)) {
      return null;
    }
    return new long[] {first, last};
  }

  private static long parse(String digits) {
    try {
      return Long.parseLong(digits);
    } catch (NumberFormatException e) {
      return Long.MAX_VALUE;
    }
  }

  private MockResponse respond(Exchange exchange, Plan plan) {
    exchange.status = plan.code;
    MockResponse.Builder builder = new MockResponse.Builder().code(plan.code).clearHeaders();
    for (String[] header : plan.headers) {
      builder.addHeaderLenient(header[0], header[1]);
    }
    for (int i = 0; i < fillerHeaders; i++) {
      builder.addHeaderLenient("X-Filler-" + i, "f" + i);
    }
    if (!plan.rawContentLengths.isEmpty()) {
      plan.rawContentLengths.forEach(v -> builder.addHeaderLenient("Content-Length", v));
    } else if (plan.framing == Framing.CHUNKED) {
      builder.addHeaderLenient("Transfer-Encoding", "chunked");
    } else if (plan.framing == Framing.CONTENT_LENGTH) {
      long declared = plan.declaredLength >= 0 ? plan.declaredLength : plan.length;
      builder.addHeaderLenient("Content-Length", declared);
    }
    if (plan.framing == Framing.CLOSE_DELIMITED) {
      builder.addHeaderLenient("Connection", "close");
    }
    return builder.socketHandler(socket -> writeBody(exchange, plan, socket)).build();
  }

  private void writeBody(Exchange exchange, Plan plan, Socket socket) {
    MockWebServerSocket server = (MockWebServerSocket) socket;
    enterFlight();
    try {
      if (plan.stall && plan.cutAfter < 0) {
        cutConnections.add(exchange.connectionIndex());
        holdUntilTheClientLeaves(server);
        return;
      }
      if (plan.head) {
        return;
      }
      if (sendBufferBytes > 0) {
        server.getJavaNetSocket().setSendBufferSize(sendBufferBytes);
      }
      BufferedSink sink = server.getSink();
      long toWrite = plan.cutAfter >= 0 ? plan.cutAfter : plan.length;
      long written = 0;
      boolean slow = exchange.connectionIndex() == slowConnection;
      while (written < toWrite) {
        // Read each slice: a change of pace applies to the bodies being written.
        int slice = slow ? slowSliceBytes : sliceBytes;
        long pause = slow ? slowPauseNanos : slicePauseNanos;
        int n = plan.hooks.slice(written, (int) Math.min(slice, toWrite - written));
        // Counted before the flush: the client may finish reading before this thread goes on.
        exchange.bytesServed.addAndGet(n);
        served(bytesServed.addAndGet(n));
        plan.hooks.beforeSlice();
        boolean flushed = false;
        try {
          writeSlice(sink, plan, written, n);
          flushed = true;
        } finally {
          plan.hooks.afterSlice(flushed ? n : 0, flushed ? written + n : written, toWrite);
        }
        written += n;
        if (pause > 0 && written < toWrite) {
          server.sleepWhileOpen(pause);
        }
      }
      if (plan.framing == Framing.CHUNKED && plan.cutAfter < 0) {
        sink.writeUtf8("0\r\n\r\n");
        sink.flush();
      }
      if (plan.stall) {
        cutConnections.add(exchange.connectionIndex());
        holdUntilTheClientLeaves(server);
      } else if (plan.cutAfter >= 0 || plan.framing == Framing.CLOSE_DELIMITED
          || closeAfterEachResponse) {
        cutConnections.add(exchange.connectionIndex());
        // A FIN, not a reset: the client reads every byte written, then the end of the stream.
        server.shutdownOutput();
      }
    } catch (IOException e) {
      cutConnections.add(exchange.connectionIndex());
      server.cancel();
    } finally {
      exitFlight();
    }
  }

  private static void writeSlice(BufferedSink sink, Plan plan, long written, int n)
      throws IOException {
    if (plan.framing == Framing.CHUNKED) {
      sink.writeUtf8(Integer.toHexString(n)).writeUtf8("\r\n");
    }
    sink.write(plan.bytes, (int) (plan.offset + written), n);
    if (plan.framing == Framing.CHUNKED) {
      sink.writeUtf8("\r\n");
    }
    sink.flush();
  }

  /** Sends nothing more until the client hangs up (or the server closes). */
  private static void holdUntilTheClientLeaves(MockWebServerSocket server) throws IOException {
    server.getSource().exhausted();
    server.cancel();
  }

  private void enterFlight() {
    FlightGauge gauge = sharedGauge;
    if (gauge != null) {
      gauge.enter();
    }
    flightLock.lock();
    try {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      flightChanged.signalAll();
    } finally {
      flightLock.unlock();
    }
  }

  private void served(long total) {
    flightLock.lock();
    try {
      servedTimeline.add(new long[] {System.nanoTime(), total});
      flightChanged.signalAll();
    } finally {
      flightLock.unlock();
    }
  }

  private void exitFlight() {
    FlightGauge gauge = sharedGauge;
    if (gauge != null) {
      gauge.exit();
    }
    flightLock.lock();
    try {
      inFlight--;
      flightChanged.signalAll();
    } finally {
      flightLock.unlock();
    }
  }

  /** What to write for one exchange. Confined to the server thread that serves it. */
  private static final class Plan {
    int code;
    final List<String[]> headers = new ArrayList<>();
    byte[] bytes = new byte[0];
    long offset;
    long length;
    long declaredLength = -1;
    long cutAfter = -1;
    boolean stall;
    boolean head;
    Framing framing = Framing.CONTENT_LENGTH;
    List<String> rawContentLengths = List.of();
    BodyHooks hooks = BodyHooks.NONE;

    static Plan status(int code, String... headerLines) {
      Plan plan = new Plan();
      plan.code = code;
      for (String line : headerLines) {
        int colon = line.indexOf(':');
        plan.header(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
      }
      plan.bytes = ("status " + code + "\n").getBytes(StandardCharsets.US_ASCII);
      plan.length = plan.bytes.length;
      return plan;
    }

    void header(String name, String value) {
      headers.add(new String[] {name, value});
    }
  }

  /** One way to misbehave. */
  public static final class Fault {
    enum Kind {
      STATUS, DISCONNECT_HALFWAY, SHORT_BODY, STALL, STALL_HALFWAY, SHIFTED_CONTENT_RANGE,
      WRONG_TOTAL,
      WHOLE_BODY_200
    }

    final Kind kind;
    final int status;
    final long shift;
    final String[] headerLines;

    private Fault(Kind kind, int status, long shift, String... headerLines) {
      this.kind = kind;
      this.status = status;
      this.shift = shift;
      this.headerLines = headerLines;
    }

    /** Answers with this status and headers such as {@code "Retry-After: 1"}. */
    public static Fault status(int code, String... headerLines) {
      return new Fault(Kind.STATUS, code, 0, headerLines);
    }

    /** Promises the whole body, writes half of it, then closes the connection. */
    public static Fault disconnectHalfway() {
      return new Fault(Kind.DISCONNECT_HALFWAY, 0, 0);
    }

    /**
     * A well-framed 206 whose {@code Content-Range} claims the range asked for but whose
     * {@code Content-Length} and body hold only its first half.
     */
    public static Fault shortBody() {
      return new Fault(Kind.SHORT_BODY, 0, 0);
    }

    /** Sends the headers, then nothing, until the client gives up. */
    public static Fault stall() {
      return new Fault(Kind.STALL, 0, 0);
    }

    /** Sends the headers and half the body, then nothing, until the client gives up. */
    public static Fault stallHalfway() {
      return new Fault(Kind.STALL_HALFWAY, 0, 0);
    }

    /** Serves (and labels) the range {@code by} bytes later than the one asked for. */
    public static Fault shiftedContentRange(long by) {
      return new Fault(Kind.SHIFTED_CONTENT_RANGE, 0, by);
    }

    /** Labels the right bytes with a {@code Content-Range} total 1000 bytes too large. */
    public static Fault wrongTotal() {
      return new Fault(Kind.WRONG_TOTAL, 0, 0);
    }

    /** Answers a ranged request with {@code 200} and the whole body. */
    public static Fault wholeBody200() {
      return new Fault(Kind.WHOLE_BODY_200, 0, 0);
    }
  }

  /** One request as the server saw it, and what it was sent back. */
  public static final class Exchange {
    private final int index;
    private final String method;
    private final String path;
    private final String range;
    private final String ifRange;
    private final String acceptEncoding;
    private final String authorization;
    private final List<String> rangeHeaders;
    private final okhttp3.Headers headers;
    private final long arrivalNanos = System.nanoTime();
    private final int connectionIndex;
    private volatile int status;
    private final AtomicLong bytesServed = new AtomicLong();
    private final long first;
    private final long last;

    Exchange(int index, RecordedRequest request) {
      this.index = index;
      this.connectionIndex = request.getConnectionIndex();
      this.method = request.getMethod();
      this.path = request.getUrl().encodedPath();
      this.headers = request.getHeaders();
      this.rangeHeaders = headers.values("Range");
      this.range = orEmpty(request.getHeaders().get("Range"));
      this.ifRange = orEmpty(request.getHeaders().get("If-Range"));
      this.acceptEncoding = orEmpty(request.getHeaders().get("Accept-Encoding"));
      this.authorization = orEmpty(request.getHeaders().get("Authorization"));
      Matcher m = SINGLE_RANGE.matcher(range.trim());
      if (m.matches() && !m.group(1).isEmpty() && !m.group(2).isEmpty()) {
        this.first = parse(m.group(1));
        this.last = parse(m.group(2));
      } else {
        this.first = -1;
        this.last = -1;
      }
    }

    private static String orEmpty(String s) {
      return s == null ? "" : s;
    }

    /** The connection it came on: 0 for the first connection the server accepted. */
    public int connectionIndex() {
      return connectionIndex;
    }

    /** 1 for the first request the server received. */
    public int index() {
      return index;
    }

    public String method() {
      return method;
    }

    public String path() {
      return path;
    }

    /** The {@code Range} header, or "" when none. */
    public String range() {
      return range;
    }

    /** Every {@code Range} header line of the request. */
    public List<String> rangeHeaders() {
      return rangeHeaders;
    }

    public boolean hasRange() {
      return !range.isEmpty();
    }

    /** Whether the Range is one closed range {@code bytes=a-b} with {@code a <= b}. */
    public boolean isSingleClosedRange() {
      return rangeHeaders.size() == 1 && first >= 0 && last >= first;
    }

    /** First byte of a closed single range, else -1. */
    public long first() {
      return first;
    }

    /** Last byte of a closed single range, else -1. */
    public long last() {
      return last;
    }

    /** The bytes a closed single range asks for, else -1 (the whole file, or from a byte on). */
    public long length() {
      return first < 0 ? -1 : last - first + 1;
    }

    public String ifRange() {
      return ifRange;
    }

    public String acceptEncoding() {
      return acceptEncoding;
    }

    public String authorization() {
      return authorization;
    }

    /** Any request header, or "" when absent. */
    public String header(String name) {
      return orEmpty(headers.get(name));
    }

    public long arrivalNanos() {
      return arrivalNanos;
    }

    /** The status the server answered with. */
    public int status() {
      return status;
    }

    /** Body bytes written for this request. */
    public long bytesServed() {
      return bytesServed.get();
    }

    @Override
    public String toString() {
      return "#" + index + " " + method + " " + path + (range.isEmpty() ? "" : " " + range)
          + (ifRange.isEmpty() ? "" : " If-Range:" + ifRange) + " -> " + status + " ("
          + bytesServed.get() + " bytes)";
    }
  }
}
