package io.rangefetch.server;

import io.rangefetch.ByteSize;
import io.rangefetch.ConfigNames;
import io.rangefetch.Limits;
import io.rangefetch.server.cluster.ClusterSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The configuration keys, one set of names for the file, the environment and the flags, and
 * their parsing into a {@link ServerConfig}. Thread-safe.
 */
final class ConfigKeys {
  static final String HOST = "server.host";
  static final String PORT = "server.port";
  static final String DOWNLOAD_DIR = "server.download-dir";
  static final String MAX_THREADS = "limits.max-threads";
  static final String MAX_BYTES_PER_THREAD = "limits.max-bytes-per-thread";
  static final String MAX_CONCURRENT_DOWNLOADS = "limits.max-concurrent-downloads";
  static final String MAX_DOWNLOAD_RATE = "limits.max-download-rate";
  static final String MAX_CONNECTIONS_PER_HOST = "limits.max-connections-per-host";
  static final String TOKEN = "security.token";
  static final String ALLOWED_ORIGINS = "security.allowed-origins";
  static final String MAX_MESSAGE_BYTES = "security.max-message-bytes";
  static final String BLOCK_PRIVATE_NETWORKS = "security.block-private-networks";
  static final String MAX_SESSIONS = "security.max-sessions";
  static final String MAX_DOWNLOADS = "security.max-downloads";
  static final String MAX_FINISHED = "history.max-finished";
  static final String RPC_ALLOW_SHUTDOWN = "rpc.allow-shutdown";
  static final String PROXY = "proxy";
  static final String STORE = "cluster.store";
  static final String NODE_ID = "cluster.node-id";
  static final String LEASE = "cluster.lease";
  static final String PASSWORD_FILE = "cluster.password-file";
  /**
   * The database password: from the environment only ({@code RANGEFETCH_CLUSTER_PASSWORD}),
   * never from the properties file or a flag, so it is not in {@link #ALL}.
   */
  static final String PASSWORD = "cluster.password";

  /** Every key, in the order the documentation lists them. */
  static final List<String> ALL = List.of(HOST, PORT, DOWNLOAD_DIR, MAX_THREADS,
      MAX_BYTES_PER_THREAD, MAX_CONCURRENT_DOWNLOADS, MAX_DOWNLOAD_RATE,
      MAX_CONNECTIONS_PER_HOST, TOKEN, ALLOWED_ORIGINS, MAX_MESSAGE_BYTES,
      BLOCK_PRIVATE_NETWORKS, MAX_SESSIONS, MAX_DOWNLOADS, MAX_FINISHED, RPC_ALLOW_SHUTDOWN,
      PROXY, STORE, NODE_ID, LEASE, PASSWORD_FILE);

  /** Keys whose values are secrets, never repeated in a message. */
  private static final Set<String> SECRETS = Set.of(TOKEN, STORE, PASSWORD, PROXY);
  private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(s|m|h)?",
      Pattern.CASE_INSENSITIVE);


  /**
   * A value and where it came from.
   *
   * @param value the text
   * @param source for example {@code rangefetch.properties}, {@code RANGEFETCH_SERVER_PORT} or
   *     {@code --port}
   */
  record Setting(String value, String source) {}

  private ConfigKeys() {}

  /**
   * Returns the environment variable of a key: {@code server.port} is
   * {@code RANGEFETCH_SERVER_PORT}.
   *
   * @param key a key of {@link #ALL}
   * @return the variable's name
   */
  static String envName(String key) {
    return ConfigNames.environmentVariable(key);
  }

  /**
   * Builds the configuration from the settings given; keys not given keep their defaults.
   *
   * @param settings key to value
   * @param workDir where relative paths start
   * @return the configuration
   * @throws BadConfigException naming the first bad key and value
   */
  static ServerConfig parse(Map<String, Setting> settings, Path workDir) {
    // The default directory is relative to the working directory given, like any other path.
    ServerConfig.Builder config = ServerConfig.newBuilder().downloadDir(workDir.resolve("downloads"));
    Limits.Builder limits = Limits.newBuilder();
    apply(settings, HOST, "a host name or IP address such as 127.0.0.1", config::host);
    apply(settings, PORT, "a port from 0 to 65535 (0 picks a free one)",
        v -> config.port(integer(v)));
    apply(settings, DOWNLOAD_DIR, "a directory path", v -> config.downloadDir(path(workDir, v)));
    apply(settings, MAX_THREADS, "a whole number from 1 to " + Limits.MAX_THREADS_CEILING,
        v -> limits.maxThreads(integer(v)));
    apply(settings, MAX_BYTES_PER_THREAD, "a size such as 4194304, 512K, 4M or 1G",
        v -> limits.maxBytesPerThread(size(v)));
    apply(settings, MAX_CONCURRENT_DOWNLOADS, "a whole number from 1 to 1024",
        v -> limits.maxConcurrentDownloads(integer(v)));
    apply(settings, MAX_DOWNLOAD_RATE, "a rate in bytes per second such as 512K, 4M or 1G,"
        + " at least 1K, or 0 for no limit", v -> limits.maxBytesPerSecond(size(v)));
    apply(settings, MAX_CONNECTIONS_PER_HOST, "a whole number from 1 to 1024",
        v -> limits.maxConnectionsPerHost(integer(v)));
    apply(settings, TOKEN, "a secret without spaces", config::token);
    apply(settings, ALLOWED_ORIGINS, "a comma-separated list such as https://a.example,"
        + "http://localhost:3000, or *", v -> config.allowedOrigins(list(v)));
    apply(settings, MAX_MESSAGE_BYTES, "a size from 1K to 16M such as 64K",
        v -> config.maxMessageBytes(Math.toIntExact(size(v))));
    apply(settings, BLOCK_PRIVATE_NETWORKS, "true or false",
        v -> config.blockPrivateNetworks(bool(v)));
    apply(settings, MAX_SESSIONS, "a whole number of at least 1",
        v -> config.maxSessions(integer(v)));
    apply(settings, MAX_DOWNLOADS, "a whole number of at least 1",
        v -> config.maxDownloads(integer(v)));
    apply(settings, MAX_FINISHED, "a whole number from 0 to 1000000",
        v -> config.maxFinished(integer(v)));
    apply(settings, RPC_ALLOW_SHUTDOWN, "true or false",
        v -> config.rpcAllowShutdown(bool(v)));
    // The proxy URL may carry a password: as a secret, a bad one is not repeated in the error.
    apply(settings, PROXY, "a proxy URL such as http://host:3128, socks5://host:1080 or"
        + " socks5h://user:password@host:1080", v -> config.proxy(java.net.URI.create(v)));
    config.cluster(cluster(settings));
    try {
      return config.limits(limits.build()).build();
    } catch (IllegalArgumentException e) {
      throw new BadConfigException("the limits do not fit together: " + e.getMessage());
    }
  }

  /** The cluster settings, or null when no store is set. */
  private static @Nullable ClusterSettings cluster(Map<String, Setting> settings) {
    Setting store = settings.get(STORE);
    if (store == null) {
      for (String key : List.of(NODE_ID, LEASE, PASSWORD_FILE, PASSWORD)) {
        Setting s = settings.get(key);
        if (s != null) {
          throw new BadConfigException(key + " is set (" + s.source() + ") but " + STORE
              + " is not; set the store (--store jdbc:postgresql://...) to run as a node of a"
              + " cluster, or drop " + key);
        }
      }
      return null;
    }
    ClusterSettings.Builder cluster;
    try {
      cluster = ClusterSettings.newBuilder(store.value());
    } catch (IllegalArgumentException e) {
      // The URL is not repeated: it may hold a password.
      throw new BadConfigException(STORE + " from " + store.source() + " is not valid: "
          + e.getMessage());
    }
    apply(settings, NODE_ID, "1 to 64 letters, digits, '.', '_', ':' or '-', such as node-a",
        cluster::nodeId);
    apply(settings, LEASE, "a duration from 3s to 1h such as 30s or 2m",
        v -> cluster.lease(duration(v)));
    Setting password = settings.get(PASSWORD);
    Setting file = settings.get(PASSWORD_FILE);
    if (password != null && file != null) {
      throw new BadConfigException("the database password is given twice, by " + password.source()
          + " and by " + PASSWORD_FILE + " (" + file.source() + "); keep one");
    }
    if (file != null) {
      Path path = Path.of(file.value().strip());
      try {
        cluster.password(Files.readString(path).strip());
      } catch (IOException | IllegalArgumentException e) {
        throw new BadConfigException("cannot read the database password from " + PASSWORD_FILE
            + " = " + path + " (" + file.source() + "): " + e.getMessage()
            + "; the file holds the password on its first line");
      }
    } else {
      apply(settings, PASSWORD, "a non-empty password", cluster::password);
    }
    return cluster.build();
  }

  private static Duration duration(String v) {
    Matcher m = DURATION.matcher(v);
    if (!m.matches()) {
      throw new NumberFormatException(v);
    }
    long n = Long.parseLong(m.group(1));
    String unit = m.group(2) == null ? "s" : m.group(2).toLowerCase(Locale.ROOT);
    return switch (unit) {
      case "m" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      default -> Duration.ofSeconds(n);
    };
  }

  private static void apply(Map<String, Setting> settings, String key, String expected,
      Consumer<String> setter) {
    Setting s = settings.get(key);
    if (s == null) {
      return;
    }
    try {
      setter.accept(s.value().strip());
    } catch (IllegalArgumentException | ArithmeticException e) {
      // The token's value is a secret: never repeat it.
      String shown = SECRETS.contains(key) ? "(hidden)" : "\"" + s.value() + "\"";
      String detail = e.getMessage() == null || e instanceof NumberFormatException
          || SECRETS.contains(key) ? "" : " (" + e.getMessage() + ")";
      throw new BadConfigException(key + " = " + shown + " from " + s.source()
          + " is not valid: expected " + expected + detail);
    }
  }

  private static int integer(String v) {
    return Integer.parseInt(v);
  }

  private static boolean bool(String v) {
    if (v.equalsIgnoreCase("true")) {
      return true;
    }
    if (v.equalsIgnoreCase("false")) {
      return false;
    }
    throw new IllegalArgumentException("not true or false");
  }

  private static Path path(Path workDir, String v) {
    if (v.isEmpty()) {
      throw new IllegalArgumentException("empty");
    }
    try {
      return workDir.resolve(v);
    } catch (InvalidPathException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  private static List<String> list(String v) {
    return Arrays.stream(v.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
  }

  /** A size as people type it ({@link ByteSize}: {@code 512K}, {@code 4M}, bytes). */
  static long size(String v) {
    return ByteSize.parse(v);
  }
}
