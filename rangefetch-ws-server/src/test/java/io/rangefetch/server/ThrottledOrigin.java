package io.rangefetch.server;

import java.io.OutputStream;
import java.net.URI;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
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
 * An in-process Jetty that serves files with real byte ranges at a limited rate per response,
 * which a test can change while downloads run (slow while it watches or pauses, fast to finish).
 * Thread-safe.
 */
final class ThrottledOrigin implements AutoCloseable {
  private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-(\\d*)");
  private static final int SLICE = 4096;

  private final Server server = new Server();
  private final ServerConnector connector = new ServerConnector(server);
  private final Map<String, byte[]> files = new ConcurrentHashMap<>();
  // bytes per second per response, by path; absent means as fast as possible
  private final Map<String, Long> rates = new ConcurrentHashMap<>();
  private volatile boolean closed;

  ThrottledOrigin() throws Exception {
    connector.setHost("127.0.0.1");
    server.addConnector(connector);
    server.setHandler(new Handler.Abstract() {
      @Override
      public boolean handle(Request request, Response response, Callback callback) {
        serve(request, response, callback);
        return true;
      }
    });
    server.start();
  }

  /**
   * Adds a file of random bytes served at {@code bytesPerSecond} per response.
   *
   * @return its content
   */
  byte[] file(String path, int size, long bytesPerSecond) {
    byte[] content = new byte[size];
    new Random(path.hashCode()).nextBytes(content);
    files.put(path, content);
    rate(path, bytesPerSecond);
    return content;
  }

  /** Adds a file of random bytes served as fast as possible. */
  byte[] file(String path, int size) {
    return file(path, size, Long.MAX_VALUE);
  }

  /** Changes the rate of responses that start or continue from now on. */
  void rate(String path, long bytesPerSecond) {
    rates.put(path, bytesPerSecond);
  }

  URI uri(String path) {
    return URI.create("http://127.0.0.1:" + connector.getLocalPort() + path);
  }

  private void serve(Request request, Response response, Callback callback) {
    String path = Request.getPathInContext(request);
    byte[] content = files.get(path);
    if (content == null) {
      Response.writeError(request, response, callback, 404, "no such file");
      return;
    }
    long first = 0;
    long last = content.length - 1;
    String range = request.getHeaders().get(HttpHeader.RANGE);
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
    try (OutputStream out = Content.Sink.asOutputStream(response)) {
      for (long at = first; at <= last && !closed; at += SLICE) {
        int length = (int) Math.min(SLICE, last - at + 1);
        out.write(content, (int) at, length);
        out.flush();
        long rate = rates.getOrDefault(path, Long.MAX_VALUE);
        if (rate != Long.MAX_VALUE) {
          // The fixture's whole point is to be slow: this pause is the simulated network.
          TimeUnit.MICROSECONDS.sleep(length * 1_000_000L / rate);
        }
      }
      callback.succeeded();
    } catch (Exception e) {
      callback.failed(e);
    }
  }

  @Override
  public void close() throws Exception {
    closed = true;
    server.stop();
  }
}
