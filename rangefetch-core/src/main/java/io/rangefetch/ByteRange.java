package io.rangefetch;

/**
 * An inclusive byte range, as in {@code Range: bytes=first-last}. Immutable.
 *
 * @param first offset of the first byte, {@code >= 0}
 * @param last offset of the last byte, {@code >= first}
 */
public record ByteRange(long first, long last) {

  /**
   * Creates a range and checks it.
   *
   * @param first offset of the first byte, {@code >= 0}
   * @param last offset of the last byte, {@code >= first}
   * @throws IllegalArgumentException if {@code first < 0} or {@code last < first}
   */
  public ByteRange {
    if (first < 0 || last < first) {
      throw new IllegalArgumentException(
          "a byte range needs 0 <= first <= last, was " + first + "-" + last);
    }
  }

  /**
   * Returns the range of {@code length} bytes that starts at {@code first}.
   *
   * @param first offset of the first byte
   * @param length number of bytes, {@code >= 1}
   * @return the range {@code first .. first + length - 1}
   */
  public static ByteRange of(long first, long length) {
    if (length < 1) {
      throw new IllegalArgumentException("a byte range needs length >= 1, was " + length);
    }
    return new ByteRange(first, Math.addExact(first, length - 1));
  }

  /**
   * Returns the number of bytes in this range.
   *
   * @return {@code last - first + 1}
   */
  public long length() {
    return last - first + 1;
  }

  /** Returns the range as HTTP writes it: {@code first-last}. */
  @Override
  public String toString() {
    return first + "-" + last;
  }
}
