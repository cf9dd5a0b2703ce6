package io.rangefetch.examples.cli;

import io.rangefetch.ByteSize;
import io.rangefetch.ConfigNames;
import io.rangefetch.Limits;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.function.BiConsumer;
import java.util.function.ToLongFunction;
import java.util.stream.Collectors;

/**
 * The caps of the command-line downloader, read from {@code rangefetch.properties} and
 * environment variables. Immutable and thread-safe.
 *
 * <p>Each key is looked up, first match wins, in: the environment variable named after it
 * ({@code limits.max-threads} becomes {@code RANGEFETCH_LIMITS_MAX_THREADS}); the file given
 * with {@code --config}, or else {@code rangefetch.properties} in the working directory if there
 * is one; the default of {@link Limits}. Other keys under {@code limits.} are refused as typos;
 * keys outside {@code limits.} belong to other programs (the server reads the same file and
 * environment, with the same {@code limits.*} keys) and are left alone.
 */
public final class CliConfig {
  /** The name of the file looked for in the working directory. */
  public static final String FILE_NAME = ConfigNames.FILE_NAME;

  /** A key the CLI reads, with how it is parsed and where it goes in {@link Limits}. */
  enum Key {
    MAX_THREADS("limits.max-threads", false,
        (builder, value) -> builder.maxThreads(Math.toIntExact(value)), Limits::maxThreads),
    MAX_BYTES_PER_THREAD("limits.max-bytes-per-thread", true,
        Limits.Builder::maxBytesPerThread, Limits::maxBytesPerThread),
    MAX_CONCURRENT_DOWNLOADS("limits.max-concurrent-downloads", false,
        (builder, value) -> builder.maxConcurrentDownloads(Math.toIntExact(value)),
        Limits::maxConcurrentDownloads),
    MAX_BYTES_PER_SECOND("limits.max-bytes-per-second", true,
        Limits.Builder::maxBytesPerSecond, Limits::maxBytesPerSecond),
    MAX_CONNECTIONS_PER_HOST("limits.max-connections-per-host", false,
        (builder, value) -> builder.maxConnectionsPerHost(Math.toIntExact(value)),
        Limits::maxConnectionsPerHost);

    final String property;
    final boolean size;
    private final BiConsumer<Limits.Builder, Long> setter;
    private final ToLongFunction<Limits> getter;

    Key(String property, boolean size, BiConsumer<Limits.Builder, Long> setter,
        ToLongFunction<Limits> getter) {
      this.property = property;
      this.size = size;
      this.setter = setter;
      this.getter = getter;
    }

    /** Returns the environment variable that overrides this key. */
    String environmentVariable() {
      return ConfigNames.environmentVariable(property);
    }
  }

  private final Limits limits;
  private final Map<Key, String> sources;

  private CliConfig(Limits limits, Map<Key, String> sources) {
    this.limits = limits;
    this.sources = sources;
  }

  /**
   * Reads the configuration.
   *
   * @param configFile the file named with {@code --config}, or empty to look for
   *     {@value #FILE_NAME} in {@code workingDir}
   * @param workingDir the directory a relative {@code configFile} and the default file are
   *     resolved in
   * @param environment the environment variables, usually {@link System#getenv()}
   * @return the configuration
   * @throws IllegalArgumentException if the file given cannot be read, or a value is malformed
   *     or out of range; the message names the key, the value and where it came from
   */
  public static CliConfig load(Optional<Path> configFile, Path workingDir,
      Map<String, String> environment) {
    Objects.requireNonNull(environment, "environment");
    Optional<Path> file = configFile.map(workingDir::resolve);
    Path fallback = workingDir.resolve(FILE_NAME);
    if (file.isEmpty() && Files.isRegularFile(fallback)) {
      file = Optional.of(fallback);
    }
    Properties properties = file.isPresent() ? read(file.get()) : new Properties();
    checkForTypos(properties, file);

    Limits.Builder builder = Limits.newBuilder();
    Map<Key, String> sources = new EnumMap<>(Key.class);
    for (Key key : Key.values()) {
      String fromEnvironment = environment.get(key.environmentVariable());
      String fromFile = properties.getProperty(key.property);
      if (fromEnvironment != null) {
        apply(builder, key, fromEnvironment, "environment variable " + key.environmentVariable());
        sources.put(key, "from " + key.environmentVariable());
      } else if (fromFile != null) {
        apply(builder, key, fromFile, file.orElseThrow().toString());
        sources.put(key, "from " + file.orElseThrow());
      } else {
        sources.put(key, "default");
      }
    }
    return new CliConfig(builder.build(), sources);
  }

  /**
   * Returns the caps to give to the downloader.
   *
   * @return the limits, defaults where nothing was configured
   */
  public Limits limits() {
    return limits;
  }

  /**
   * Describes one cap and where it came from, for messages.
   *
   * @param key the key
   * @return for example {@code limits.max-threads=8 (default)} or
   *     {@code limits.max-threads=2 (from RANGEFETCH_LIMITS_MAX_THREADS)}
   */
  String describe(Key key) {
    return key.property + "=" + key.getter.applyAsLong(limits) + " (" + sources.get(key) + ")";
  }

  private static Properties read(Path file) {
    Properties properties = new Properties();
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      properties.load(reader);
    } catch (IOException | IllegalArgumentException e) {
      throw new IllegalArgumentException("cannot read the config file " + file + ": " + e
          + "; check the path given with --config", e);
    }
    return properties;
  }

  private static void checkForTypos(Properties properties, Optional<Path> file) {
    for (String name : properties.stringPropertyNames()) {
      boolean known = Arrays.stream(Key.values()).anyMatch(key -> key.property.equals(name));
      if (name.startsWith("limits.") && !known) {
        throw new IllegalArgumentException("unknown key " + name + " in " + file.orElseThrow()
            + "; the known keys are " + Arrays.stream(Key.values())
                .map(key -> key.property).collect(Collectors.joining(", ")));
      }
    }
  }

  private static void apply(Limits.Builder builder, Key key, String raw, String source) {
    String value = raw.strip();
    String where = key.property + "=" + value + " (from " + source + ")";
    long number;
    try {
      number = key.size ? ByteSize.parse(value) : Long.parseLong(value);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          where + " is not a whole number; write for example " + key.property + "=8", e);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
    }
    try {
      key.setter.accept(builder, number);
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException(where + " is far too large", e);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
    }
  }
}
