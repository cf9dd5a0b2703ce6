package io.rangefetch;

import java.util.Locale;
import java.util.Objects;

/**
 * The names every rangefetch program gives its settings, so that one configuration serves them
 * all: the command-line downloader and the server read the same {@value #FILE_NAME}, and the
 * same environment variables, with the same {@code limits.*} keys. A program that embeds the
 * library may follow them too.
 */
public final class ConfigNames {
  /** The name of the configuration file, looked for in the working directory. */
  public static final String FILE_NAME = "rangefetch.properties";

  private ConfigNames() {}

  /**
   * Returns the environment variable that stands for a key of the file:
   * {@code limits.max-threads} is {@code RANGEFETCH_LIMITS_MAX_THREADS}.
   *
   * @param key a key such as {@code server.port}
   * @return {@code RANGEFETCH_}, then the key in upper case with dots and dashes as underscores
   */
  public static String environmentVariable(String key) {
    Objects.requireNonNull(key, "key");
    return "RANGEFETCH_" + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
  }
}
