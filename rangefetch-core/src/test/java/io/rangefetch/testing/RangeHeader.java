package io.rangefetch.testing;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads a single-range {@code Range: bytes=a-b} header as RFC 9110 does. */
final class RangeHeader {
  static final Pattern SINGLE_RANGE = Pattern.compile("bytes=(\\d*)-(\\d*)");

  private RangeHeader() {}

  /**
   * Returns {first, last} for a satisfiable single range of a body of {@code total} bytes, or
   * null for 416. {@code single} has matched {@link #SINGLE_RANGE}.
   */
  static long[] resolve(Matcher single, long total) {
    String a = single.group(1);
    String b = single.group(2);
    if (a.isEmpty()) {
      long suffix = b.isEmpty() ? 0 : parse(b);
      if (suffix == 0 || total == 0) {
        return null;
      }
      return new long[] {Math.max(0, total - suffix), total - 1};
    }
    long first = parse(a);
    long last = b.isEmpty() ? total - 1 : Math.min(parse(b), total - 1);
    if (first >= total || (!b.isEmpty() && parse(b) < first)) {
      return null;
    }
    return new long[] {first, last};
  }

  /** The number, or {@link Long#MAX_VALUE} for one too large for a long. */
  static long parse(String digits) {
    try {
      return Long.parseLong(digits);
    } catch (NumberFormatException e) {
      return Long.MAX_VALUE;
    }
  }
}
