package io.rangefetch.testing;

/** How a {@link RangeDispatcher}'s {@code 200} whole body is delimited. */
public enum Framing {
  CONTENT_LENGTH,
  CHUNKED,
  /** No length at all: the body ends when the server closes the connection. */
  CLOSE_DELIMITED
}
