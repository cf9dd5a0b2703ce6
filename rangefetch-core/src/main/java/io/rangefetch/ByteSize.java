package io.rangefetch;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads and writes byte counts the way people type them: {@code 512K}, {@code 4M}, {@code 1G},
 * or plain bytes. Immutable and thread-safe.
 *
 * <p>Suffixes are 1024-based and case-insensitive; {@code K}, {@code KB} and {@code KiB} all
 * mean 1024 bytes, as in curl and wget. The command line and the server read every size and rate
 * of their configuration with it, so {@code 4M} means the same everywhere; a program that reads
 * {@link Limits} from its own configuration can do the same.
 */
public final class ByteSize {
  private static final Pattern SIZE =
      Pattern.compile("(\\d+)\\s*(?:([kmgt])(?:i?b)?|b)?", Pattern.CASE_INSENSITIVE);
  private static final String[] UNITS = {"B", "KiB", "MiB", "GiB", "TiB"};

  private ByteSize() {}

  /**
   * Parses a byte count.
   *
   * @param text digits with an optional {@code K}, {@code M}, {@code G} or {@code T} suffix
   * @return the number of bytes, {@code >= 0}
   * @throws IllegalArgumentException if the text is not such a count or exceeds
   *     {@link Long#MAX_VALUE} bytes
   */
  public static long parse(String text) {
    Matcher matcher = SIZE.matcher(text.strip());
    if (!matcher.matches()) {
      throw new IllegalArgumentException("\"" + text + "\" is not a size; write bytes as a whole"
          + " number with an optional K, M, G or T suffix (1024-based), for example 512K or 4M");
    }
    int shift = matcher.group(2) == null
        ? 0 : 10 * ("kmgt".indexOf(matcher.group(2).toLowerCase(Locale.ROOT)) + 1);
    try {
      long number = Long.parseLong(matcher.group(1));
      if (number > Long.MAX_VALUE >> shift) {
        throw new NumberFormatException();
      }
      return number << shift;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "\"" + text + "\" is too large; a size must stay below 8 EiB (" + Long.MAX_VALUE
              + " bytes)", e);
    }
  }

  /**
   * Formats a byte count for people, 1024-based with one decimal above 1 KiB.
   *
   * @param bytes a count, {@code >= 0}
   * @return for example {@code "512 B"}, {@code "10.0 KiB"} or {@code "4.2 GiB"}
   */
  public static String format(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    double value = bytes;
    int unit = 0;
    while (value >= 1024 && unit < UNITS.length - 1) {
      value /= 1024;
      unit++;
    }
    return String.format(Locale.ROOT, "%.1f %s", value, UNITS[unit]);
  }
}
