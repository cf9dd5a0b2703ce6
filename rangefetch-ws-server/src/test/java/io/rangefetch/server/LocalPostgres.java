package io.rangefetch.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real PostgreSQL server from Debian's {@code postgresql} package, for one test class: its
 * own data directory in a temporary folder, a free port on 127.0.0.1, password authentication,
 * run as the {@code postgres} user when the tests run as root (PostgreSQL refuses to run as
 * root). Started before the class's first test and stopped after its last, even when a test
 * fails; a JVM shutdown hook stops it if the run is cut short. Register it with
 * {@code @RegisterExtension static final LocalPostgres DATABASE = new LocalPostgres();}.
 * Thread-safe after start.
 */
final class LocalPostgres implements BeforeAllCallback, AfterAllCallback {
  static final String USER = "rangefetch";
  static final String PASSWORD = "cluster-test-secret";
  private static final long COMMAND_SECONDS = 120;
  private static final AtomicInteger DATABASES = new AtomicInteger();

  private @Nullable Path dir;
  private @Nullable Path bin;
  private int port;
  private @Nullable Thread shutdownHook;

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    bin = binDir();
    boolean root = "root".equals(System.getProperty("user.name"));
    // Under /tmp when root: the postgres user must be able to reach the folder.
    dir = root ? Files.createTempDirectory(Path.of("/tmp"), "rangefetch-pg")
        : Files.createTempDirectory("rangefetch-pg");
    Path passwordFile = dir.resolve("password");
    Files.writeString(passwordFile, PASSWORD + "\n");
    if (root) {
      run(List.of("chown", "-R", "postgres:postgres", dir.toString()));
    }
    run(asPostgres(bin.resolve("initdb").toString(), "-D", data().toString(), "-U", USER,
        "--pwfile=" + passwordFile, "--auth-host=scram-sha-256", "--auth-local=trust",
        "-E", "UTF8", "--locale=C", "--no-sync"));
    port = freePort();
    shutdownHook = new Thread(this::stopQuietly, "local-postgres-stop");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
    start();
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    try {
      stop();
    } finally {
      if (shutdownHook != null) {
        Runtime.getRuntime().removeShutdownHook(shutdownHook);
      }
      deleteTree(dir);
    }
  }

  /** Starts the server (again, after {@link #stop()}) and waits until it accepts connections. */
  void start() throws Exception {
    run(asPostgres(bin.resolve("pg_ctl").toString(), "-D", data().toString(), "-l",
        dir.resolve("postgres.log").toString(), "-w", "-t", "60", "-o",
        "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1 -c fsync=off"
            + " -c max_connections=200", "start"));
  }

  /** Stops the server at once, as a crash of the database would. */
  void stop() throws Exception {
    run(asPostgres(bin.resolve("pg_ctl").toString(), "-D", data().toString(), "-m",
        "immediate", "-w", "stop"));
  }

  /** Creates an empty database and returns its JDBC URL, without the password. */
  String newDatabase() throws Exception {
    String name = "rangefetch_" + DATABASES.incrementAndGet();
    try (Connection c = connect(url("postgres"));
        Statement statement = c.createStatement()) {
      statement.execute("CREATE DATABASE " + name);
    }
    return url(name);
  }

  String url(String database) {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + database + "?user=" + USER;
  }

  static Connection connect(String url) throws Exception {
    Properties properties = new Properties();
    properties.setProperty("password", PASSWORD);
    return DriverManager.getConnection(url, properties);
  }

  private Path data() {
    return dir.resolve("data");
  }

  private void stopQuietly() {
    try {
      stop();
    } catch (Exception | AssertionError e) {
      // Not running, or already stopped.
    }
  }

  private static List<String> asPostgres(String... command) {
    List<String> full = new ArrayList<>();
    if ("root".equals(System.getProperty("user.name"))) {
      full.addAll(List.of("runuser", "-u", "postgres", "--"));
    }
    full.addAll(List.of(command));
    return full;
  }

  private static void run(List<String> command) throws Exception {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    // Read while it runs: a full pipe would block it.
    byte[] output = process.getInputStream().readAllBytes();
    assertTrue(process.waitFor(COMMAND_SECONDS, TimeUnit.SECONDS), command + " did not end");
    assertEquals(0, process.exitValue(), () -> command + " failed:\n"
        + new String(output, StandardCharsets.UTF_8));
  }

  /** The newest PostgreSQL of Debian's layout, /usr/lib/postgresql/VERSION/bin. */
  private static Path binDir() throws IOException {
    Path root = Path.of("/usr/lib/postgresql");
    assertTrue(Files.isDirectory(root), "PostgreSQL is not installed (no " + root
        + "); apt-get install postgresql, as .ci/run does");
    try (Stream<Path> versions = Files.list(root)) {
      return versions.map(v -> v.resolve("bin"))
          .filter(b -> Files.isExecutable(b.resolve("initdb")))
          .max(Comparator.comparingInt(b -> Integer.parseInt(
              b.getParent().getFileName().toString().replaceAll("\\D", "0"))))
          .orElseThrow(() -> new AssertionError("no initdb under " + root));
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  private static void deleteTree(@Nullable Path root) throws IOException {
    if (root == null || !Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
