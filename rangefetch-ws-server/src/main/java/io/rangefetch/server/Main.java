package io.rangefetch.server;

import io.rangefetch.ConfigNames;
import io.rangefetch.server.ConfigKeys.Setting;
import io.rangefetch.server.cluster.StoreUnavailableException;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Runs the server from the command line: {@code java -jar rangefetch-server.jar [options]}.
 * Settings come from {@code rangefetch.properties} ({@code --config FILE}, else the working
 * directory), then {@code RANGEFETCH_*} environment variables, then flags, each overriding the
 * one before. Prints {@code http://HOST:PORT/} once connections are accepted and stops cleanly on
 * Ctrl+C or SIGTERM. Exit codes: 0 after a clean stop, 1 if the server cannot start, 2 for a bad
 * setting. Not thread-safe: one instance per run.
 */
@Command(name = "rangefetch-server", sortOptions = false, usageHelpAutoWidth = true,
    description = "Downloads URLs for WebSocket clients with parallel HTTP range requests.%n"
        + "Settings: rangefetch.properties, then RANGEFETCH_* variables, then these flags.",
    footer = "%nThe keys of rangefetch.properties are listed in docs/configuration.md.")
public final class Main implements Callable<Integer> {
  /** The file read from the working directory when {@code --config} is not given. */
  static final String DEFAULT_CONFIG_FILE = ConfigNames.FILE_NAME;

  private final Map<String, String> env;
  private final Path workDir;
  private final PrintStream out;
  private final PrintStream err;

  @Option(names = "--config", paramLabel = "FILE",
      description = "properties file (default: ./rangefetch.properties if present)")
  private @Nullable String config;

  @Option(names = "--host", description = "address to bind (default 127.0.0.1)")
  private @Nullable String host;

  @Option(names = "--port", description = "port, 0 for a free one (default 8765)")
  private @Nullable String port;

  @Option(names = "--download-dir", paramLabel = "DIR", description = "default ./downloads")
  private @Nullable String downloadDir;

  @Option(names = "--max-threads", paramLabel = "N", description = "per download (default 8)")
  private @Nullable String maxThreads;

  @Option(names = "--max-bytes-per-thread", paramLabel = "SIZE",
      description = "largest range request: 512K, 4M, 1G (default 4M)")
  private @Nullable String maxBytesPerThread;

  @Option(names = "--max-concurrent-downloads", paramLabel = "N", description = "default 4")
  private @Nullable String maxConcurrentDownloads;

  @Option(names = "--max-download-rate", paramLabel = "RATE",
      description = "bytes per second over all downloads: 512K, 4M (default 0, no limit)")
  private @Nullable String maxDownloadRate;

  @Option(names = "--max-connections-per-host", paramLabel = "N",
      description = "connections to one host at once, over all downloads (default 16)")
  private @Nullable String maxConnectionsPerHost;

  @Option(names = "--token", description = "secret WebSocket clients must send (default none)")
  private @Nullable String token;

  @Option(names = "--proxy", paramLabel = "URL",
      description = "proxy of every download: http://, socks5:// or socks5h://[user:password@]"
          + "host:port (default none)")
  private @Nullable String proxy;

  @Option(names = "--store", paramLabel = "JDBC_URL",
      description = "cluster mode: jdbc:postgresql://HOST/DB?user=NAME holds the shared list and"
          + " queue; password in RANGEFETCH_CLUSTER_PASSWORD (default: local state file)")
  private @Nullable String store;

  @Option(names = "--node-id", paramLabel = "NAME",
      description = "this node's name in the cluster (default: host name:port)")
  private @Nullable String nodeId;

  @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help and exit")
  private boolean help;

  Main(Map<String, String> env, Path workDir, PrintStream out, PrintStream err) {
    this.env = Objects.requireNonNull(env, "env");
    this.workDir = Objects.requireNonNull(workDir, "workDir");
    this.out = Objects.requireNonNull(out, "out");
    this.err = Objects.requireNonNull(err, "err");
  }

  /**
   * Starts the server and waits until it is stopped.
   *
   * @param args the flags; {@code --help} lists them
   */
  public static void main(String[] args) {
    if (System.getProperty("org.slf4j.simpleLogger.log.org.eclipse.jetty") == null) {
      System.setProperty("org.slf4j.simpleLogger.log.org.eclipse.jetty", "warn");
    }
    Main main = new Main(System.getenv(), Path.of("").toAbsolutePath(), System.out, System.err);
    int code = new CommandLine(main).execute(args);
    if (code != 0) {
      System.exit(code);
    }
  }

  @Override
  public Integer call() throws InterruptedException {
    ServerConfig serverConfig;
    try {
      serverConfig = resolve();
    } catch (BadConfigException e) {
      err.println("rangefetch-server: " + e.getMessage());
      return 2;
    }
    RangefetchServer server = RangefetchServer.create(serverConfig);
    try {
      server.start();
    } catch (StoreUnavailableException e) {
      server.close();
      err.println("rangefetch-server: " + e.getMessage());
      return 1;
    } catch (IOException | RuntimeException e) {
      server.close();
      err.println("rangefetch-server: cannot start on " + serverConfig.host() + ":"
          + serverConfig.port() + ": " + e.getMessage()
          + "; pick another port with --port, or 0 for a free one");
      return 1;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(server::close, "rangefetch-shutdown"));
    out.println(server.uri());
    out.flush();
    server.join();
    return 0;
  }

  /**
   * Merges the file, the environment and the flags into the configuration.
   *
   * @return the configuration
   * @throws BadConfigException naming the bad key and value
   */
  ServerConfig resolve() {
    Map<String, Setting> settings = new LinkedHashMap<>();
    readFile(settings);
    for (String key : ConfigKeys.ALL) {
      String name = ConfigKeys.envName(key);
      String value = env.get(name);
      if (value != null) {
        settings.put(key, new Setting(value, "environment variable " + name));
      }
    }
    flag(settings, ConfigKeys.HOST, "--host", host);
    flag(settings, ConfigKeys.PORT, "--port", port);
    flag(settings, ConfigKeys.DOWNLOAD_DIR, "--download-dir", downloadDir);
    flag(settings, ConfigKeys.MAX_THREADS, "--max-threads", maxThreads);
    flag(settings, ConfigKeys.MAX_BYTES_PER_THREAD, "--max-bytes-per-thread", maxBytesPerThread);
    flag(settings, ConfigKeys.MAX_CONCURRENT_DOWNLOADS, "--max-concurrent-downloads",
        maxConcurrentDownloads);
    flag(settings, ConfigKeys.MAX_DOWNLOAD_RATE, "--max-download-rate", maxDownloadRate);
    flag(settings, ConfigKeys.MAX_CONNECTIONS_PER_HOST, "--max-connections-per-host",
        maxConnectionsPerHost);
    flag(settings, ConfigKeys.TOKEN, "--token", token);
    flag(settings, ConfigKeys.PROXY, "--proxy", proxy);
    flag(settings, ConfigKeys.STORE, "--store", store);
    flag(settings, ConfigKeys.NODE_ID, "--node-id", nodeId);
    // The password comes from the environment (or cluster.password-file), never from a flag,
    // which any user could read in the process list.
    String password = env.get(ConfigKeys.envName(ConfigKeys.PASSWORD));
    if (password != null) {
      settings.put(ConfigKeys.PASSWORD, new Setting(password, "environment variable "
          + ConfigKeys.envName(ConfigKeys.PASSWORD)));
    }
    return ConfigKeys.parse(settings, workDir);
  }

  private void readFile(Map<String, Setting> settings) {
    Path file = config == null ? workDir.resolve(DEFAULT_CONFIG_FILE) : workDir.resolve(config);
    if (config == null && !Files.exists(file)) {
      return;
    }
    Properties properties = new Properties();
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      properties.load(reader);
    } catch (IOException | IllegalArgumentException e) {
      throw new BadConfigException("cannot read the configuration file " + file + ": " + e
          + "; check the path given to --config");
    }
    for (String key : properties.stringPropertyNames()) {
      if (!ConfigKeys.ALL.contains(key)) {
        throw new BadConfigException("unknown key \"" + key + "\" in " + file
            + "; the keys are " + String.join(", ", ConfigKeys.ALL));
      }
      settings.put(key, new Setting(properties.getProperty(key), file.toString()));
    }
  }

  private static void flag(Map<String, Setting> settings, String key, String flag,
      @Nullable String value) {
    if (value != null) {
      settings.put(key, new Setting(value, flag));
    }
  }
}
