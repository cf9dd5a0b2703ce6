package io.rangefetch.server;

import java.io.OutputStream;
import java.net.URI;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;

/**
 * An in-process Jetty that serves files with real byte ranges, records every request, counts the
 * requests in flight, and can hold a file's responses until released (to keep a download running
 * while a test pauses, cancels or restarts). A file can also be served slowly ({@link #throttle},
 * or at a rate a test changes while downloads run: {@link #rate}), with every slow response
 * stopped between two slices on {@link #freeze()}, and its content replaced by another version
 * with another ETag ({@link #change}). Thread-safe.
 */
final class OriginServer implements AutoCloseable {
  private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-(\\d*)");
  private static final int RATE_SLICE = 4096;

  /** One request as the origin saw it. */
  record Seen(String path, String range) {
    /** @return the number of bytes asked for, or -1 for the whole file */
    long length() {
      Matcher m = RANGE.matcher(range);
      if (!m.matches() || m.group(2).isEmpty()) {
        return -1;
      }
      return Long.parseLong(m.group(2)) - Long.parseLong(m.group(1)) + 1;
    }
  }

  private final Server server = new Server();
  private final ServerConnector connector = new ServerConnector(server);
  private final Map<String, byte[]> files = new ConcurrentHashMap<>();
  private final Map<String, String> dispositions = new ConcurrentHashMap<>();
  private final Map<String, CountDownLatch> holds = new ConcurrentHashMap<>();
  private final Map<String, CountDownLatch> reached = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> failures = new ConcurrentHashMap<>();
  private final Map<String, String> redirects = new ConcurrentHashMap<>();
  private final Map<String, String> etags = new ConcurrentHashMap<>();
  private final Map<String, CountDownLatch> headerHolds = new ConcurrentHashMap<>();
  private final Map<String, CountDownLatch> headerReached = new ConcurrentHashMap<>();
  private final Map<String, Throttle> throttles = new ConcurrentHashMap<>();
  private final Map<String, java.util.concurrent.atomic.AtomicLong> completedBytes =
      new ConcurrentHashMap<>();
  private final Map<String, Long> freezeAfter = new ConcurrentHashMap<>();
  private final Map<String, Threshold> freezeAfterSent = new ConcurrentHashMap<>();
  private final Map<String, java.util.concurrent.atomic.AtomicLong> sentBytes =
      new ConcurrentHashMap<>();
  private final java.util.concurrent.ScheduledExecutorService pacer =
      java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "origin-pacer");
        t.setDaemon(true);
        return t;
      });
  // guarded by this: slow responses stop between slices while frozen
  private boolean frozen;
  // guarded by this: the next slices of slow responses, waiting for thaw()
  private final List<Runnable> parked = new java.util.ArrayList<>();
  // guarded by this: slices being written right now
  private int writing;

  /** How a slow file is sent: {@code sliceBytes} at a time, {@code pause} between slices. */
  private record Throttle(int sliceBytes, java.time.Duration pause) {}
  private final List<Seen> seen = new CopyOnWriteArrayList<>();
  // "path value-of-X-Test-Header" per request, in order
  private final List<String> sentHeaders = new CopyOnWriteArrayList<>();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger maxInFlight = new AtomicInteger();

  // per path: the moments (System.nanoTime) the slow responses' sums reached, slice by slice
  private final Map<String, List<long[]>> timelines = new ConcurrentHashMap<>();
  private final Map<String, Threshold> sentLatches = new ConcurrentHashMap<>();

  OriginServer() throws Exception {
    this(0);
  }

  /**
   * An origin whose connections have a send buffer of {@code sendBufferBytes} (0: the system's),
   * so that a client reading slowly holds it back after that many bytes, not megabytes.
   */
  OriginServer(int sendBufferBytes) throws Exception {
    if (sendBufferBytes > 0) {
      connector.setAcceptedSendBufferSize(sendBufferBytes);
    }
    connector.setHost("127.0.0.1");
    server.addConnector(connector);
    server.setHandler(new Handler.Abstract() {
      @Override
      public boolean handle(Request request, Response response, Callback callback)
          throws Exception {
        serve(request, response, callback);
        return true;
      }
    });
    server.start();
  }

  /**
   * Adds a file of random bytes.
   *
   * @return its content
   */
  byte[] file(String path, int size) {
    byte[] content = new byte[size];
    new Random(path.hashCode()).nextBytes(content);
    files.put(path, content);
    etags.put(path, "\"" + size + "\"");
    return content;
  }

  /**
   * Replaces a file by another version of the same size, with another ETag, as a file that
   * changed on the server.
   *
   * @return the new content
   */
  byte[] change(String path) {
    byte[] old = files.get(path);
    byte[] content = new byte[old.length];
    new Random(path.hashCode() * 31L + 7).nextBytes(content);
    files.put(path, content);
    etags.put(path, "\"" + old.length + "-v2\"");
    return content;
  }

  /**
   * Adds a file of random bytes served at {@code bytesPerSecond} per response (see {@link #rate}).
   *
   * @return its content
   */
  byte[] file(String path, int size, long bytesPerSecond) {
    byte[] content = file(path, size);
    rate(path, bytesPerSecond);
    return content;
  }

  /**
   * Sends this file slowly: {@code sliceBytes}, then a pause, and so on. The first and last byte
   * ranges of a response are whole slices like the others. Responses already running take the
   * new pace from their next slice on.
   */
  void throttle(String path, int sliceBytes, java.time.Duration pause) {
    throttles.put(path, new Throttle(sliceBytes, pause));
  }

  /**
   * Sends this file at {@code bytesPerSecond} per response, in slices of 4 KiB, from the next
   * slice on: responses already running change pace too. {@code Long.MAX_VALUE} sends the slices
   * without pausing.
   */
  void rate(String path, long bytesPerSecond) {
    throttle(path, RATE_SLICE,
        java.time.Duration.ofNanos(RATE_SLICE * 1_000_000_000L / bytesPerSecond));
  }

  /**
   * Stops every slow response between two slices, and returns once no slice is being written:
   * from here until {@link #thaw()}, {@link #completedBytes(String)} does not change.
   */
  synchronized void freeze() throws InterruptedException {
    frozen = true;
    while (writing > 0) {
      wait();
    }
  }

  /**
   * Freezes the slow responses (as {@link #freeze()}, without waiting) as soon as responses of
   * {@code path} adding up to {@code bytes} have been sent completely, so that a download cannot
   * run to its end before the test has looked at it.
   */
  void freezeAfter(String path, long bytes) {
    freezeAfter.put(path, bytes);
  }

  /**
   * Freezes the slow responses (as {@link #freeze()}, without waiting) as soon as {@code bytes}
   * of {@code path} have been sent, counting every slice: responses then stop in their middle.
   *
   * @return a latch that opens once frozen
   */
  CountDownLatch freezeAfterSent(String path, long bytes) {
    CountDownLatch latch = new CountDownLatch(1);
    freezeAfterSent.put(path, new Threshold(bytes, latch));
    return latch;
  }

  private record Threshold(long bytes, CountDownLatch reached) {}

  /** Lets the slow responses go on, and forgets the automatic freezes not reached. */
  void thaw() {
    freezeAfter.clear();
    freezeAfterSent.clear();
    List<Runnable> next;
    synchronized (this) {
      frozen = false;
      next = List.copyOf(parked);
      parked.clear();
    }
    next.forEach(pacer::execute);
  }

  /**
   * Sums the bytes of the slow responses of {@code path} whose last byte was handed to the
   * connection.
   */
  long completedBytes(String path) {
    var bytes = completedBytes.get(path);
    return bytes == null ? 0 : bytes.get();
  }

  /** Opens once the slow responses of {@code path} have handed {@code bytes} to the connection. */
  CountDownLatch whenSent(String path, long bytes) {
    CountDownLatch latch = new CountDownLatch(1);
    sentLatches.put(path, new Threshold(bytes, latch));
    if (sentBytes(path) >= bytes) {
      latch.countDown();
    }
    return latch;
  }

  /**
   * The bytes per second at which the slow responses of {@code path} were handed to the
   * connection between the moments their sum reached {@code from} and {@code to}: the rate the
   * origin saw, whatever the client's buffers held.
   */
  double rateBetween(String path, long from, long to) {
    List<long[]> timeline = timelines.getOrDefault(path, List.of());
    long start = -1;
    long end = -1;
    long startBytes = 0;
    long endBytes = 0;
    synchronized (timeline) {
      for (long[] point : timeline) {
        if (start < 0 && point[0] >= from) {
          start = point[1];
          startBytes = point[0];
        }
        if (end < 0 && point[0] >= to) {
          end = point[1];
          endBytes = point[0];
        }
      }
    }
    if (start < 0 || end <= start) {
      throw new AssertionError(path + " was not sent from byte " + from + " to " + to);
    }
    return (endBytes - startBytes) * 1e9 / (end - start);
  }

  /** Sums the bytes of the slow responses of {@code path} handed to the connection. */
  long sentBytes(String path) {
    var bytes = sentBytes.get(path);
    return bytes == null ? 0 : bytes.get();
  }

  /**
   * Holds the next responses of this file before their headers until {@link #releaseHeaders};
   * returns a latch that opens when the first held request is reached.
   */
  CountDownLatch holdHeaders(String path) {
    headerHolds.put(path, new CountDownLatch(1));
    CountDownLatch latch = new CountDownLatch(1);
    headerReached.put(path, latch);
    return latch;
  }

  void releaseHeaders(String path) {
    CountDownLatch latch = headerHolds.remove(path);
    if (latch != null) {
      latch.countDown();
    }
  }

  /** Takes a file away: later requests for it get 404, as from a link that died. */
  void remove(String path) {
    files.remove(path);
  }

  /** Answers the next {@code count} requests for a later chunk (not the first) with 503. */
  void failLaterChunks(String path, int count) {
    failures.put(path, new AtomicInteger(count));
  }

  /** Answers requests for {@code path} with a 302 to {@code location}. */
  void redirect(String path, String location) {
    redirects.put(path, location);
  }

  /** Sends this Content-Disposition with the file. */
  void disposition(String path, String value) {
    dispositions.put(path, value);
  }

  /**
   * Holds every response of this file after its headers until {@link #release(String)}; returns
   * a latch that opens when the first held response is reached.
   */
  CountDownLatch hold(String path) {
    holds.put(path, new CountDownLatch(1));
    CountDownLatch latch = new CountDownLatch(1);
    reached.put(path, latch);
    return latch;
  }

  void release(String path) {
    CountDownLatch latch = holds.remove(path);
    if (latch != null) {
      latch.countDown();
    }
  }

  URI uri(String path) {
    return URI.create("http://127.0.0.1:" + connector.getLocalPort() + path);
  }

  /** @return every request, in the order they arrived */
  List<Seen> requests() {
    return List.copyOf(seen);
  }

  List<Seen> requests(String path) {
    return seen.stream().filter(s -> s.path().equals(path)).toList();
  }

  /** @return the {@code X-Test-Header} of each request of {@code path} ("null" if absent) */
  List<String> testHeaders(String path) {
    return sentHeaders.stream().filter(h -> h.startsWith(path + " "))
        .map(h -> h.substring(path.length() + 1)).toList();
  }

  int maxInFlight() {
    return maxInFlight.get();
  }

  static String sha256(byte[] content) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  private void serve(Request request, Response response, Callback callback) throws Exception {
    String path = Request.getPathInContext(request);
    String range = request.getHeaders().get(HttpHeader.RANGE);
    seen.add(new Seen(path, range == null ? "" : range));
    sentHeaders.add(path + " " + request.getHeaders().get("X-Test-Header"));
    int now = inFlight.incrementAndGet();
    maxInFlight.accumulateAndGet(now, Math::max);
    boolean done = false;
    try {
      String location = redirects.get(path);
      if (location != null) {
        response.setStatus(302);
        response.getHeaders().put(HttpHeader.LOCATION, location);
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, 0);
        response.write(true, java.nio.ByteBuffer.allocate(0), callback);
        return;
      }
      byte[] content = files.get(path);
      if (content == null) {
        Response.writeError(request, response, callback, 404, "no such file");
        return;
      }
      AtomicInteger failing = failures.get(path);
      if (failing != null && range != null && !range.startsWith("bytes=0-")
          && failing.getAndDecrement() > 0) {
        Response.writeError(request, response, callback, 503, "try again");
        return;
      }
      CountDownLatch headerHold = headerHolds.get(path);
      if (headerHold != null) {
        CountDownLatch r = headerReached.get(path);
        if (r != null) {
          r.countDown();
        }
        headerHold.await(60, TimeUnit.SECONDS);
      }
      long first = 0;
      long last = content.length - 1;
      Matcher m = range == null ? null : RANGE.matcher(range);
      if (m != null && m.matches()) {
        first = Long.parseLong(m.group(1));
        if (!m.group(2).isEmpty()) {
          last = Math.min(last, Long.parseLong(m.group(2)));
        }
        response.setStatus(206);
        response.getHeaders().put(HttpHeader.CONTENT_RANGE,
            "bytes " + first + "-" + last + "/" + content.length);
      } else {
        response.setStatus(200);
      }
      response.getHeaders().put(HttpHeader.ACCEPT_RANGES, "bytes");
      response.getHeaders().put(HttpHeader.ETAG, etags.get(path));
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/octet-stream");
      response.getHeaders().put(HttpHeader.CONTENT_LENGTH, last - first + 1);
      String disposition = dispositions.get(path);
      if (disposition != null) {
        response.getHeaders().put(HttpHeader.CONTENT_DISPOSITION, disposition);
      }
      if (throttles.containsKey(path)) {
        // Sent asynchronously from here; the pacer counts the request done when it ends.
        done = true;
        new SlowResponse(path, content, first, last, response, callback).next();
        return;
      }
      try (OutputStream out = Content.Sink.asOutputStream(response)) {
        int head = (int) Math.min(1024, last - first + 1);
        out.write(content, (int) first, head);
        out.flush();
        CountDownLatch hold = holds.get(path);
        if (hold != null) {
          CountDownLatch r = reached.get(path);
          if (r != null) {
            r.countDown();
          }
          hold.await(60, TimeUnit.SECONDS);
        }
        int rest = (int) (last - first + 1 - head);
        if (rest > 0) {
          out.write(content, (int) first + head, rest - 1);
          out.flush();
        }
        // Counted as done before the last byte goes out: the client cannot have read the whole
        // response, and started its next request, before this request stops counting.
        done = true;
        inFlight.decrementAndGet();
        if (rest > 0) {
          out.write(content, (int) last, 1);
        }
      }
      callback.succeeded();
    } catch (Exception e) {
      callback.failed(e);
    } finally {
      if (!done) {
        inFlight.decrementAndGet();
      }
    }
  }

  @Override
  public void close() throws Exception {
    holds.values().forEach(CountDownLatch::countDown);
    headerHolds.values().forEach(CountDownLatch::countDown);
    thaw();
    server.stop();
    pacer.shutdownNow();
  }

  /** One response sent slice by slice by the pacer, never blocking a thread while it waits. */
  private final class SlowResponse {
    private final String path;
    private final byte[] content;
    private final long first;
    private final long last;
    private final Response response;
    private final Callback callback;
    private long position;

    SlowResponse(String path, byte[] content, long first, long last, Response response,
        Callback callback) {
      this.path = path;
      this.content = content;
      this.first = first;
      this.position = first;
      this.last = last;
      this.response = response;
      this.callback = callback;
    }

    /** Writes the next slice now, or parks it while frozen. */
    void next() {
      synchronized (OriginServer.this) {
        if (frozen) {
          parked.add(this::next);
          return;
        }
        writing++;
      }
      // Read again for every slice: a test may change the pace while a download runs.
      Throttle pace = throttles.get(path);
      int length = (int) Math.min(pace.sliceBytes(), last - position + 1);
      boolean end = position + length > last;
      java.nio.ByteBuffer slice = java.nio.ByteBuffer.wrap(content, (int) position, length);
      position += length;
      response.write(end, slice, Callback.from(() -> {
        long sent = sentBytes
            .computeIfAbsent(path, p -> new java.util.concurrent.atomic.AtomicLong())
            .addAndGet(length);
        List<long[]> timeline = timelines.computeIfAbsent(path, p -> new java.util.ArrayList<>());
        synchronized (timeline) {
          timeline.add(new long[] {sent, System.nanoTime()});
        }
        Threshold latch = sentLatches.get(path);
        if (latch != null && sent >= latch.bytes()) {
          latch.reached().countDown();
        }
        Threshold sentThreshold = freezeAfterSent.get(path);
        if (sentThreshold != null && sent >= sentThreshold.bytes()) {
          freezeAfterSent.remove(path);
          synchronized (OriginServer.this) {
            frozen = true;
          }
          sentThreshold.reached().countDown();
        }
        written();
        if (end) {
          long completed = completedBytes
              .computeIfAbsent(path, p -> new java.util.concurrent.atomic.AtomicLong())
              .addAndGet(last - first + 1);
          Long threshold = freezeAfter.get(path);
          if (threshold != null && completed >= threshold) {
            freezeAfter.remove(path);
            synchronized (OriginServer.this) {
              frozen = true;
            }
          }
          inFlight.decrementAndGet();
          callback.succeeded();
        } else {
          pacer.schedule(this::next, pace.pause().toNanos(), TimeUnit.NANOSECONDS);
        }
      }, failure -> {
        written();
        inFlight.decrementAndGet();
        callback.failed(failure);
      }));
    }

    private void written() {
      synchronized (OriginServer.this) {
        writing--;
        OriginServer.this.notifyAll();
      }
    }
  }
}
