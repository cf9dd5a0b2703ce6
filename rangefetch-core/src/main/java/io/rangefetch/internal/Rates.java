package io.rangefetch.internal;

/** The one rule of what a rate limit may be, for every place that takes one. */
public final class Rates {
  /** The lowest limit accepted: lower ones would pace reads many seconds apart. */
  public static final long MIN_BYTES_PER_SECOND = 1024;

  private Rates() {}

  /**
   * Checks a rate limit.
   *
   * @param name what the caller calls it, for the message
   * @param bytesPerSecond 0 for no limit, or at least {@value #MIN_BYTES_PER_SECOND}
   * @return {@code bytesPerSecond}
   * @throws IllegalArgumentException if it is negative or between 1 and 1023
   */
  public static long check(String name, long bytesPerSecond) {
    if (bytesPerSecond != 0 && bytesPerSecond < MIN_BYTES_PER_SECOND) {
      throw new IllegalArgumentException(name + " must be 0 (no limit) or at least "
          + MIN_BYTES_PER_SECOND + " bytes per second, was " + bytesPerSecond
          + "; use 1024 or more, or 0 to lift the limit");
    }
    return bytesPerSecond;
  }
}
