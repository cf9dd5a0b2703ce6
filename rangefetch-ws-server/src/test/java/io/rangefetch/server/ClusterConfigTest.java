package io.rangefetch.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rangefetch.server.cluster.ClusterSettings;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The cluster settings: where they come from, what is refused, and the password kept secret. */
class ClusterConfigTest {
  private static final String STORE = "jdbc:postgresql://db.example:5432/rangefetch?user=rf";
  private static final String SECRET = "hunter2-secret";

  @TempDir Path workDir;

  private ServerConfig resolve(Map<String, String> env, String... args) {
    Main main = new Main(env, workDir, System.out, System.err);
    new CommandLine(main).parseArgs(args);
    return main.resolve();
  }

  private record Run(int code, String err) {}

  private Run run(Map<String, String> env, String... args) {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8);
    PrintStream out = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    int code = new CommandLine(new Main(env, workDir, out, errStream))
        .setErr(new PrintWriter(errStream, true)).execute(args);
    return new Run(code, err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void noStore_noCluster() {
    assertTrue(resolve(Map.of()).cluster().isEmpty());
  }

  @Test
  void storeAndNodeIdFromFlags_passwordAndLeaseFromTheEnvironment() {
    ServerConfig config = resolve(Map.of("RANGEFETCH_CLUSTER_PASSWORD", SECRET,
        "RANGEFETCH_CLUSTER_LEASE", "10s"), "--store", STORE, "--node-id", "node-a");

    ClusterSettings cluster = config.cluster().orElseThrow();
    assertEquals(STORE, cluster.jdbcUrl());
    assertEquals(SECRET, cluster.password().orElseThrow());
    assertEquals("node-a", cluster.nodeId().orElseThrow());
    assertEquals(Duration.ofSeconds(10), cluster.lease());
    assertFalse(config.toString().contains(SECRET), config.toString());
    assertTrue(config.toString().contains("password=set"), config.toString());
  }

  @Test
  void passwordFile_firstLine() throws Exception {
    Path file = workDir.resolve("db-password");
    Files.writeString(file, SECRET + "\n");
    Files.writeString(workDir.resolve("rangefetch.properties"), "cluster.store=" + STORE
        + "\ncluster.password-file=" + file + "\ncluster.lease=2m\n");

    ClusterSettings cluster = resolve(Map.of()).cluster().orElseThrow();

    assertEquals(SECRET, cluster.password().orElseThrow());
    assertEquals(Duration.ofMinutes(2), cluster.lease());
    assertTrue(cluster.nodeId().isEmpty(), "the node id defaults to host:port at start");
  }

  @Test
  void store_withPasswordInTheUrl_refusedWithoutRepeatingIt() {
    Run run = run(Map.of(), "--store", STORE + "&password=" + SECRET);

    assertEquals(2, run.code());
    assertTrue(run.err().contains("RANGEFETCH_CLUSTER_PASSWORD"), run.err());
    assertFalse(run.err().contains(SECRET), run.err());
  }

  @Test
  void store_notPostgres() {
    Run run = run(Map.of(), "--store", "jdbc:mysql://db/x");

    assertEquals(2, run.code());
    assertTrue(run.err().contains("PostgreSQL JDBC URL"), run.err());
  }

  @Test
  void password_inThePropertiesFile_isAnUnknownKey() throws Exception {
    Files.writeString(workDir.resolve("rangefetch.properties"), "cluster.store=" + STORE
        + "\ncluster.password=" + SECRET + "\n");

    Run run = run(Map.of());

    assertEquals(2, run.code());
    assertTrue(run.err().contains("unknown key \"cluster.password\""), run.err());
    assertFalse(run.err().contains(SECRET), run.err());
  }

  @Test
  void passwordTwice_refused() throws Exception {
    Files.writeString(workDir.resolve("pw"), SECRET);
    Run run = run(Map.of("RANGEFETCH_CLUSTER_PASSWORD", SECRET,
        "RANGEFETCH_CLUSTER_PASSWORD_FILE", workDir.resolve("pw").toString()), "--store", STORE);

    assertEquals(2, run.code());
    assertTrue(run.err().contains("given twice"), run.err());
    assertFalse(run.err().contains(SECRET), run.err());
  }

  @Test
  void nodeId_withoutStore_refused() {
    Run run = run(Map.of(), "--node-id", "node-a");

    assertEquals(2, run.code());
    assertTrue(run.err().contains("cluster.store is not"), run.err());
  }

  @Test
  void nodeId_withSpaces() {
    Run run = run(Map.of(), "--store", STORE, "--node-id", "node a");

    assertEquals(2, run.code());
    assertTrue(run.err().contains("cluster.node-id = \"node a\" from --node-id is not valid"),
        run.err());
  }

  @Test
  void lease_belowThreeSeconds() {
    assertThrows(IllegalArgumentException.class,
        () -> ClusterSettings.newBuilder(STORE).lease(Duration.ofSeconds(2)));
    Run run = run(Map.of("RANGEFETCH_CLUSTER_LEASE", "1s"), "--store", STORE);
    assertEquals(2, run.code());
    assertTrue(run.err().contains("cluster.lease"), run.err());
  }

  @Test
  void storeThatDoesNotAnswer_exitsWithOneAndSaysWhatToCheck() throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    Run run = run(Map.of("RANGEFETCH_CLUSTER_PASSWORD", SECRET), "--port", "0",
        "--download-dir", workDir.resolve("dl").toString(),
        "--store", "jdbc:postgresql://127.0.0.1:" + closedPort + "/x?user=rf");

    assertEquals(1, run.code(), run.err());
    assertTrue(run.err().contains("cannot use the cluster store"), run.err());
    assertTrue(run.err().contains("check that PostgreSQL runs"), run.err());
    assertFalse(run.err().contains(SECRET), run.err());
    assertFalse(run.err().contains("pick another port"), run.err());
  }
}
