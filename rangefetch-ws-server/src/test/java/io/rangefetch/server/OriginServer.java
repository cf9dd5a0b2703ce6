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
 * while a test pauses, cancels or restarts). Thread-safe.
 */
final class OriginServer {
  private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-(\\d*)");

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
  private final List<Seen> seen = new CopyOnWriteArrayList<>();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger maxInFlight = new AtomicInteger();

  OriginServer() throws Exception {
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
    return content;
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
      response.getHeaders().put(HttpHeader.ETAG, "\"" + content.length + "\"");
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/octet-stream");
      response.getHeaders().put(HttpHeader.CONTENT_LENGTH, last - first + 1);
      String disposition = dispositions.get(path);
      if (disposition != null) {
        response.getHeaders().put(HttpHeader.CONTENT_DISPOSITION, disposition);
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

  void close() throws Exception {
    holds.values().forEach(CountDownLatch::countDown);
    server.stop();
  }
}
