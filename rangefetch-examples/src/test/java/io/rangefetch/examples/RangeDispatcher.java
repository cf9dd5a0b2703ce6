package io.rangefetch.examples;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.RecordedRequest;
import mockwebserver3.SocketEffect;
import okio.Buffer;

/**
 * Fakes an honest file server for one byte array at every path: {@code 206} with the slice and
 * its {@code Content-Range} for {@code Range: bytes=a-b}, {@code 200} with the whole body
 * without a {@code Range}, {@code 416} for a range past the end. Records every {@code Range}
 * header it receives, so a test can check the client's caps from the server's side. Thread-safe.
 */
public final class RangeDispatcher extends Dispatcher {
  private static final Pattern SINGLE_RANGE = Pattern.compile("bytes=(\\d*)-(\\d*)");
  /** The ETag of the body. */
  public static final String ETAG = "\"v1\"";
  /** The Last-Modified of the body. */
  public static final String LAST_MODIFIED = "Tue, 24 Nov 2026 12:00:00 GMT";

  private final byte[] body;
  private final String fileName;
  private final Queue<String> rangeHeaders = new ConcurrentLinkedQueue<>();
  private final CountDownLatch firstRequest = new CountDownLatch(1);
  private final AtomicInteger requests = new AtomicInteger();
  // Set by the test thread, read by MockWebServer's threads.
  private final Set<Integer> connections = ConcurrentHashMap.newKeySet();
  private volatile long throttleBytes;
  private volatile Duration throttlePeriod = Duration.ZERO;
  private volatile int failFrom = Integer.MAX_VALUE;
  private volatile int stallFrom = Integer.MAX_VALUE;
  private volatile int failCode;

  /**
   * Serves {@code body} with a {@code Content-Disposition} naming {@code fileName}.
   *
   * @param body the file
   * @param fileName the name the server suggests
   */
  public RangeDispatcher(byte[] body, String fileName) {
    this.body = body.clone();
    this.fileName = Objects.requireNonNull(fileName, "fileName");
  }

  /**
   * Slows every response body down to {@code bytes} per {@code period}, so a download is still
   * running when a test acts on it.
   *
   * @param bytes bytes sent per period
   * @param period the period
   * @return this dispatcher
   */
  public RangeDispatcher throttle(long bytes, Duration period) {
    this.throttleBytes = bytes;
    this.throttlePeriod = period;
    return this;
  }

  /**
   * Answers every request from the {@code first}-th on (counting from 1) with {@code code} and no
   * body, as a server that breaks in the middle of a download.
   *
   * @param first the number of the first request to fail
   * @param code the status to answer, such as 404
   * @return this dispatcher
   */
  public RangeDispatcher failFrom(int first, int code) {
    this.failCode = code;
    this.failFrom = first;
    return this;
  }

  /**
   * Sends only the headers to every request from the {@code first}-th on (counting from 1), then
   * stalls its body until the connection closes: a download that cannot end by itself.
   *
   * @param first the number of the first request to stall
   * @return this dispatcher
   */
  public RangeDispatcher stallFrom(int first) {
    this.stallFrom = first;
    return this;
  }

  /**
   * Serves every later request normally again, at full speed.
   *
   * @return this dispatcher
   */
  public RangeDispatcher heal() {
    this.failFrom = Integer.MAX_VALUE;
    this.stallFrom = Integer.MAX_VALUE;
    this.throttleBytes = 0;
    return this;
  }

  @Override
  public MockResponse dispatch(RecordedRequest request) {
    connections.add(request.getConnectionIndex());
    String range = request.getHeaders().get("Range");
    rangeHeaders.add(range == null ? "" : range);
    firstRequest.countDown();
    int number = requests.incrementAndGet();
    if (number >= failFrom) {
      return new MockResponse.Builder().code(failCode).build();
    }
    boolean stall = number >= stallFrom;
    if (!"GET".equals(request.getMethod())) {
      return new MockResponse.Builder().code(405).build();
    }
    if (range == null) {
      return respond(200, 0, body.length - 1).build();
    }
    Matcher matcher = SINGLE_RANGE.matcher(range);
    if (!matcher.matches() || (matcher.group(1).isEmpty() && matcher.group(2).isEmpty())) {
      return respond(200, 0, body.length - 1).build();
    }
    long first;
    long last;
    if (matcher.group(1).isEmpty()) {
      first = Math.max(0, body.length - Long.parseLong(matcher.group(2)));
      last = body.length - 1;
    } else {
      first = Long.parseLong(matcher.group(1));
      last = matcher.group(2).isEmpty()
          ? body.length - 1 : Math.min(Long.parseLong(matcher.group(2)), body.length - 1);
    }
    if (first >= body.length || last < first) {
      return new MockResponse.Builder().code(416)
          .addHeader("Content-Range", "bytes */" + body.length).build();
    }
    MockResponse.Builder response = respond(206, first, last)
        .addHeader("Content-Range", "bytes " + first + "-" + last + "/" + body.length);
    if (stall) {
      response.onResponseBody(SocketEffect.Stall.INSTANCE);
    }
    return response.build();
  }

  private MockResponse.Builder respond(int code, long first, long last) {
    MockResponse.Builder response = new MockResponse.Builder()
        .code(code)
        .addHeader("Accept-Ranges", "bytes")
        .addHeader("ETag", ETAG)
        .addHeader("Last-Modified", LAST_MODIFIED)
        .addHeader("Content-Type", "application/octet-stream")
        .addHeader("Content-Disposition", "attachment; filename=\"" + fileName + "\"")
        .body(new Buffer().write(body, (int) first, (int) (last - first + 1)));
    if (throttleBytes > 0) {
      response.throttleBody(throttleBytes, throttlePeriod.toNanos(), TimeUnit.NANOSECONDS);
    }
    return response;
  }

  /**
   * Returns every {@code Range} header received so far, in arrival order; {@code ""} stands for
   * a request without one.
   *
   * @return a copy of the headers
   */
  public List<String> rangeHeaders() {
    return new ArrayList<>(rangeHeaders);
  }

  /**
   * Returns the number of bytes each request asked for, in arrival order; a request without a
   * closed range ({@code bytes=a-b}) counts as the whole body.
   *
   * @return the spans
   */
  public List<Long> requestedSpans() {
    List<Long> spans = new ArrayList<>();
    for (String header : rangeHeaders) {
      Matcher matcher = SINGLE_RANGE.matcher(header);
      if (matcher.matches() && !matcher.group(1).isEmpty() && !matcher.group(2).isEmpty()) {
        spans.add(Long.parseLong(matcher.group(2)) - Long.parseLong(matcher.group(1)) + 1);
      } else {
        spans.add((long) body.length);
      }
    }
    return spans;
  }

  /**
   * Returns how many connections the requests so far came on.
   *
   * @return the number of distinct connections
   */
  public int connections() {
    return connections.size();
  }

  /**
   * Waits for the first request.
   *
   * @param timeout how long to wait
   * @return whether a request arrived in time
   * @throws InterruptedException if interrupted while waiting
   */
  public boolean awaitFirstRequest(Duration timeout) throws InterruptedException {
    return firstRequest.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }
}
