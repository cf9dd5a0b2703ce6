package io.rangefetch.testing;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import mockwebserver3.RecordedRequest;

/**
 * One request as a {@link RangeDispatcher} saw it, and what it was sent back. Thread-safe: the
 * server thread fills in the answer while the test may read it.
 */
public final class Exchange {
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
    Matcher m = RangeHeader.SINGLE_RANGE.matcher(range.trim());
    if (m.matches() && !m.group(1).isEmpty() && !m.group(2).isEmpty()) {
      this.first = RangeHeader.parse(m.group(1));
      this.last = RangeHeader.parse(m.group(2));
    } else {
      this.first = -1;
      this.last = -1;
    }
  }

  private static String orEmpty(String s) {
    return s == null ? "" : s;
  }

  /** Notes the status the server answers with. */
  void answered(int code) {
    status = code;
  }

  /** Counts {@code bytes} more of the body as written. */
  void served(int bytes) {
    bytesServed.addAndGet(bytes);
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
