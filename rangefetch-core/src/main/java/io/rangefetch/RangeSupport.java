package io.rangefetch;

/** Whether a server was seen to serve byte ranges. */
public enum RangeSupport {
  /** Not known yet: the server has not answered a ranged request. */
  UNKNOWN,
  /** A ranged GET returned {@code 206} with the {@code Content-Range} that was asked for. */
  SUPPORTED,
  /** The server ignored the range, or answered it wrongly: the file comes as one stream. */
  NOT_SUPPORTED
}
