package io.rangefetch.internal;

import io.rangefetch.ByteRange;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * A parsed {@code Content-Range} header: {@code bytes first-last/total}, where total may be
 * {@code *}, or {@code bytes *&#47;total} on a 416.
 *
 * @param range the bytes in the body, or {@code null} for the unsatisfied form
 * @param total the complete length, or {@code -1} for {@code *}
 */
record ContentRange(@Nullable ByteRange range, long total) {
  private static final Pattern SATISFIED =
      Pattern.compile("bytes\\s+(\\d{1,18})-(\\d{1,18})/(\\d{1,18}|\\*)");
  private static final Pattern UNSATISFIED = Pattern.compile("bytes\\s+\\*/(\\d{1,18})");

  /**
   * Parses a header value; anything malformed or self-contradicting (last beyond total) is
   * empty, so a lying server is never believed.
   */
  static Optional<ContentRange> parse(@Nullable String value) {
    if (value == null) {
      return Optional.empty();
    }
    String v = value.trim().toLowerCase(Locale.ROOT);
    Matcher m = SATISFIED.matcher(v);
    if (m.matches()) {
      long first = Long.parseLong(m.group(1));
      long last = Long.parseLong(m.group(2));
      long total = m.group(3).equals("*") ? -1 : Long.parseLong(m.group(3));
      if (last < first || (total >= 0 && last >= total)) {
        return Optional.empty();
      }
      return Optional.of(new ContentRange(new ByteRange(first, last), total));
    }
    Matcher u = UNSATISFIED.matcher(v);
    if (u.matches()) {
      return Optional.of(new ContentRange(null, Long.parseLong(u.group(1))));
    }
    return Optional.empty();
  }
}
