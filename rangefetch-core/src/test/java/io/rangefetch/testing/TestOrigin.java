package io.rangefetch.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.function.Predicate;
import java.util.stream.Stream;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;

/**
 * An HTTP origin on loopback that serves several files, each path by its own
 * {@link RangeDispatcher} with real byte ranges. A test can hold a file's responses until it
 * releases them, pace a file and change its pace while downloads run, freeze every body between
 * two slices, and replace a file by a new version with a new ETag; it reads back the requests, the
 * bytes sent and the responses in flight. An unknown path gets {@code 404}. Thread-safe.
 */
public final class TestOrigin implements AutoCloseable {
  private static final int RATE_SLICE = 4096;

  private record Served(RangeDispatcher dispatcher, int size) {}

  private final MockWebServer server = new MockWebServer();
  private final Map<String, Served> files = new ConcurrentHashMap<>();
  // By path, made on first use: a test may hold a file before it adds it.
  private final Map<String, OriginFile> bodies = new ConcurrentHashMap<>();
  // Answers and records the requests for paths that hold no file.
  private final RangeDispatcher missing =
      new RangeDispatcher(new byte[0]).always(Fault.status(404), RangeDispatcher.anyRequest());
  private final Freeze freeze = new Freeze();
  private final FlightGauge gauge = new FlightGauge();
  private final int sendBufferBytes;

  public TestOrigin() throws IOException {
    this(0);
  }

  /**
   * An origin whose connections have a send buffer of {@code sendBufferBytes} (0: the system's),
   * so that a client reading slowly holds it back after that many bytes, not megabytes.
   */
  public TestOrigin(int sendBufferBytes) throws IOException {
    this.sendBufferBytes = sendBufferBytes;
    server.setDispatcher(new Dispatcher() {
      @Override
      public MockResponse dispatch(RecordedRequest request) throws InterruptedException {
        Served served = files.get(request.getUrl().encodedPath());
        return (served == null ? missing : served.dispatcher()).dispatch(request);
      }
    });
    server.start(InetAddress.getByName("127.0.0.1"), 0);
  }

  /**
   * Adds a file of random bytes, the same for the same path on every run.
   *
   * @return its content
   */
  public byte[] file(String path, int size) {
    byte[] content = SeededBytes.of(size, path.hashCode());
    serve(path, new RangeDispatcher(content), size);
    return content;
  }

  /**
   * Adds a file of random bytes served at {@code bytesPerSecond} per response (see {@link #rate}).
   *
   * @return its content
   */
  public byte[] file(String path, int size, long bytesPerSecond) {
    byte[] content = file(path, size);
    rate(path, bytesPerSecond);
    return content;
  }

  private void serve(String path, RangeDispatcher dispatcher, int size) {
    dispatcher.hooks(body(path)).shareFlightGauge(gauge);
    if (sendBufferBytes > 0) {
      dispatcher.sendBuffer(sendBufferBytes);
    }
    files.put(path, new Served(dispatcher, size));
  }

  private Served served(String path) {
    Served served = files.get(path);
    if (served == null) {
      throw new IllegalArgumentException("no file at " + path + "; add it with file(path, size)");
    }
    return served;
  }

  private OriginFile body(String path) {
    return bodies.computeIfAbsent(path, p -> new OriginFile(freeze));
  }

  /**
   * Replaces a file, for every request from now on, by another version of the same size with
   * another ETag ({@link RangeDispatcher#CHANGED_ETAG}), as a file that changed on the server.
   *
   * @return the new content
   */
  public byte[] change(String path) {
    Served served = served(path);
    byte[] content = SeededBytes.of(served.size(), path.hashCode() * 31L + 7);
    served.dispatcher().changeContentAfter(served.dispatcher().exchanges().size(), content);
    return content;
  }

  /**
   * Sends this file slowly: {@code sliceBytes}, then a pause, and so on. Responses already
   * running take the new pace from their next slice on.
   */
  public void throttle(String path, int sliceBytes, Duration pause) {
    served(path).dispatcher().throttle(sliceBytes, pause);
  }

  /**
   * Sends this file at {@code bytesPerSecond} per response, in slices of 4 KiB, from the next
   * slice on: responses already running change pace too. {@code Long.MAX_VALUE} sends the slices
   * without pausing.
   */
  public void rate(String path, long bytesPerSecond) {
    throttle(path, RATE_SLICE, Duration.ofNanos(RATE_SLICE * 1_000_000_000L / bytesPerSecond));
  }

  /**
   * Stops every body between two slices, and returns once no slice is being written: from here
   * until {@link #thaw()}, {@link #completedBytes} and {@link #sentBytes} do not change.
   */
  public void freeze() throws InterruptedException {
    freeze.freezeAndWait();
  }

  /**
   * Freezes the bodies (as {@link #freeze()}, without waiting) as soon as responses of
   * {@code path} adding up to {@code bytes} have been sent completely, so that a download cannot
   * run to its end before the test has looked at it.
   */
  public void freezeAfter(String path, long bytes) {
    body(path).freezeAfterCompleted(bytes);
  }

  /**
   * Freezes the bodies (as {@link #freeze()}, without waiting) as soon as {@code bytes} of
   * {@code path} have been sent, counting every slice: responses then stop in their middle.
   *
   * @return a latch that opens once frozen
   */
  public CountDownLatch freezeAfterSent(String path, long bytes) {
    return body(path).freezeAfterSent(bytes);
  }

  /** Lets the bodies go on, and forgets the automatic freezes not reached. */
  public void thaw() {
    bodies.values().forEach(OriginFile::forgetFreezes);
    freeze.thaw();
  }

  /**
   * Sums the bytes of the responses of {@code path} whose last byte was handed to the
   * connection.
   */
  public long completedBytes(String path) {
    return body(path).completedBytes();
  }

  /**
   * Waits until the bodies of {@code path} sent whole sum to at least {@code bytes}: the count
   * follows the client's last read by a moment.
   *
   * @return false if they did not within {@code timeout}
   */
  public boolean awaitCompleted(String path, long bytes, Duration timeout)
      throws InterruptedException {
    return body(path).awaitCompleted(bytes, timeout);
  }

  /**
   * Waits for a request for {@code path} that matches.
   *
   * @return the request, or null if none came within {@code timeout}
   */
  public Exchange awaitRequest(String path, Predicate<Exchange> matching, Duration timeout)
      throws InterruptedException {
    return served(path).dispatcher().awaitRequest(matching, timeout);
  }

  /** Sums the body bytes of {@code path} handed to the connection. */
  public long sentBytes(String path) {
    return body(path).sentBytes();
  }

  /** Opens once the bodies of {@code path} have handed {@code bytes} to the connection. */
  public CountDownLatch whenSent(String path, long bytes) {
    return body(path).whenSent(bytes);
  }

  /**
   * The bytes per second at which the bodies of {@code path} were handed to the connection
   * between the moments their sum reached {@code from} and {@code to}: the rate the origin saw,
   * whatever the client's buffers held.
   */
  public double rateBetween(String path, long from, long to) {
    return body(path).rateBetween(from, to);
  }

  /**
   * Holds the next responses of this file before their headers until {@link #releaseHeaders};
   * returns a latch that opens when the first held request is reached.
   */
  public CountDownLatch holdHeaders(String path) {
    return body(path).holdHeaders();
  }

  public void releaseHeaders(String path) {
    body(path).releaseHeaders();
  }

  /**
   * Holds every response of this file after its headers and the first KiB of its body until
   * {@link #release}; returns a latch that opens when the first held response is reached.
   */
  public CountDownLatch hold(String path) {
    return body(path).hold();
  }

  public void release(String path) {
    body(path).release();
  }

  /** Takes a file away: later requests for it get 404, as from a link that died. */
  public void remove(String path) {
    served(path).dispatcher().always(Fault.status(404), RangeDispatcher.anyRequest());
  }

  /** Answers the next {@code count} requests for a later chunk (not the first) with 503. */
  public void failLaterChunks(String path, int count) {
    served(path).dispatcher().inject(Fault.status(503),
        exchange -> exchange.hasRange() && !exchange.range().startsWith("bytes=0-"), count);
  }

  /** Answers requests for {@code path} with a 302 to {@code location}. */
  public void redirect(String path, String location) {
    serve(path, new RangeDispatcher(new byte[0]).redirect(path, 302, location), 0);
  }

  /** Sends this Content-Disposition with the file. */
  public void disposition(String path, String value) {
    served(path).dispatcher().contentDisposition(value);
  }

  public URI uri(String path) {
    return URI.create("http://127.0.0.1:" + server.getPort() + path);
  }

  /** Every request, in the order they arrived. */
  public List<Exchange> requests() {
    return Stream.concat(Stream.of(missing),
            files.values().stream().map(Served::dispatcher))
        .flatMap(dispatcher -> dispatcher.exchanges().stream())
        .sorted(Comparator.comparingLong(Exchange::arrivalNanos)).toList();
  }

  /** The requests for {@code path}, in the order they arrived. */
  public List<Exchange> requests(String path) {
    Served served = files.get(path);
    return served == null ? missing.exchangesTo(path) : served.dispatcher().exchanges();
  }

  /** The {@code X-Test-Header} of each request of {@code path}, "" when absent. */
  public List<String> testHeaders(String path) {
    return requests(path).stream().map(exchange -> exchange.header("X-Test-Header")).toList();
  }

  /** The most responses, over every file, that were being written at the same moment. */
  public int maxInFlight() {
    return gauge.max();
  }

  /** Releases every hold, thaws, and stops the server. */
  @Override
  public void close() {
    bodies.values().forEach(body -> {
      body.release();
      body.releaseHeaders();
    });
    thaw();
    server.close();
  }
}
