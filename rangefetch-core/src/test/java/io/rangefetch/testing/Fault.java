package io.rangefetch.testing;

/**
 * One way for a {@link RangeDispatcher} to misbehave, applied to the requests chosen with
 * {@link RangeDispatcher#inject} or {@link RangeDispatcher#always}. Immutable and thread-safe.
 */
public final class Fault {
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
