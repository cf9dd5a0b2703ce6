package io.rangefetch.examples.cli;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads lengths of time the way people type them: {@code 0}, {@code 500ms}, {@code 2s},
 * {@code 1m}, {@code 1h}. Immutable and thread-safe.
 *
 * <p>Units are case-insensitive; a number without a unit is seconds, as in aria2c's
 * {@code --auto-save-interval}.
 */
public final class DurationText {
  private static final Pattern DURATION =
      Pattern.compile("(\\d{1,18})\\s*(ms|s|m|h)?", Pattern.CASE_INSENSITIVE);

  private DurationText() {}

  /**
   * Parses a length of time.
   *
   * @param text digits with an optional {@code ms}, {@code s}, {@code m} or {@code h} unit
   * @return the duration, zero or positive
   * @throws IllegalArgumentException if the text is not such a length
   */
  public static Duration parse(String text) {
    Matcher matcher = DURATION.matcher(text.strip());
    if (!matcher.matches()) {
      throw new IllegalArgumentException("\"" + text + "\" is not a duration; write a whole"
          + " number with an optional unit ms, s, m or h (seconds without one), for example"
          + " 500ms or 2s");
    }
    long number = Long.parseLong(matcher.group(1));
    String unit = matcher.group(2) == null ? "s" : matcher.group(2).toLowerCase(Locale.ROOT);
    try {
      return switch (unit) {
        case "ms" -> Duration.ofMillis(number);
        case "s" -> Duration.ofSeconds(number);
        case "m" -> Duration.ofMinutes(number);
        case "h" -> Duration.ofHours(number);
        default -> throw new IllegalStateException("unit " + unit);
      };
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException("\"" + text + "\" is too long a duration", e);
    }
  }
}
