package io.rangefetch.examples.cli;

import java.util.Objects;

/**
 * One {@code -H 'Name: value'} argument, split as curl splits it: the name before the first
 * colon, the value after it without the blanks around it. Immutable and thread-safe.
 *
 * @param name the header name, not checked here ({@link io.rangefetch.DownloadRequest.Builder#header}
 *     checks it)
 * @param value the value
 */
record HeaderLine(String name, String value) {

  HeaderLine {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(value, "value");
  }

  /**
   * Splits {@code text}.
   *
   * @throws IllegalArgumentException if it has no colon, no name before it, or no value after it
   */
  static HeaderLine parse(String text) {
    int colon = text.indexOf(':');
    if (colon < 0) {
      // Only the first word: what follows may be a secret typed without its colon.
      String[] words = text.strip().split("\\s+", 2);
      String shown = words[0] + (words.length > 1 ? " ..." : "");
      throw new IllegalArgumentException("-H \"" + shown + "\" has no colon; write it as"
          + " -H 'Name: value', for example -H 'Cookie: session=abc'");
    }
    String name = text.substring(0, colon).strip();
    String value = text.substring(colon + 1).strip();
    if (name.isEmpty()) {
      throw new IllegalArgumentException("-H \"" + text + "\" has no name before the colon;"
          + " write it as -H 'Name: value'");
    }
    if (value.isEmpty()) {
      // curl's -H 'Name:' removes a header curl would send; rangefetch sends none to remove.
      throw new IllegalArgumentException("-H \"" + name + ":\" has no value; write it as"
          + " -H '" + name + ": value'");
    }
    return new HeaderLine(name, value);
  }
}
