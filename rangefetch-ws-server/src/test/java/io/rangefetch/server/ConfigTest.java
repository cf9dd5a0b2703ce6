package io.rangefetch.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** One set of names for the file, the environment and the flags, each overriding the one before. */
class ConfigTest {
  @TempDir Path workDir;

  private ServerConfig resolve(Map<String, String> env, String... args) {
    Main main = new Main(env, workDir, System.out, System.err);
    new CommandLine(main).parseArgs(args);
    return main.resolve();
  }

  /** Runs the command as {@code main} would and returns the exit code and what it printed. */
  private record Run(int code, String out, String err) {}

  private Run run(Map<String, String> env, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream outStream = new PrintStream(out, true, StandardCharsets.UTF_8);
    PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8);
    CommandLine cmd = new CommandLine(new Main(env, workDir, outStream, errStream))
        .setOut(new PrintWriter(outStream, true)).setErr(new PrintWriter(errStream, true));
    int code = cmd.execute(args);
    return new Run(code, out.toString(StandardCharsets.UTF_8),
        err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void defaultsWhenNothingIsGiven() {
    ServerConfig config = resolve(Map.of());

    assertEquals("127.0.0.1", config.host());
    assertEquals(8765, config.port());
    assertEquals(workDir.resolve("downloads"), config.downloadDir());
    assertEquals(8, config.limits().maxThreads());
    assertEquals(4 * 1024 * 1024, config.limits().maxBytesPerThread());
    assertEquals(4, config.limits().maxConcurrentDownloads());
    assertEquals(64 * 1024, config.maxMessageBytes());
    assertFalse(config.blockPrivateNetworks());
    assertTrue(config.token().isEmpty());
    assertEquals(List.of(), config.allowedOrigins());
  }

  @Test
  void rpcAllowShutdown_offByDefaultOnFromTheEnvironment() {
    assertFalse(resolve(Map.of()).rpcAllowShutdown());
    assertTrue(resolve(Map.of("RANGEFETCH_RPC_ALLOW_SHUTDOWN", "true")).rpcAllowShutdown());
  }

  @Test
  void rpcAllowShutdown_notABoolean() {
    Run run = run(Map.of("RANGEFETCH_RPC_ALLOW_SHUTDOWN", "yes"));

    assertEquals(2, run.code());
    assertTrue(run.err().contains("rpc.allow-shutdown = \"yes\" from environment variable"
        + " RANGEFETCH_RPC_ALLOW_SHUTDOWN is not valid: expected true or false"), run.err());
  }

  @Test
  void proxy_fromTheEnvironment_flagOverridesIt() {
    assertTrue(resolve(Map.of()).proxy().isEmpty());
    Map<String, String> env = Map.of("RANGEFETCH_PROXY", "socks5h://u:p@127.0.0.1:1080");
    assertEquals("socks5h://u:p@127.0.0.1:1080", resolve(env).proxy().orElseThrow().toString());
    assertEquals("http://127.0.0.1:3128",
        resolve(env, "--proxy", "http://127.0.0.1:3128").proxy().orElseThrow().toString());
    assertFalse(resolve(env).toString().contains("u:p"), resolve(env).toString());
  }

  @Test
  void proxy_unsupportedScheme_isRefusedWithoutRepeatingTheValue() {
    Run run = run(Map.of(), "--proxy", "socks4://user:s3cret@127.0.0.1:1080");

    assertEquals(2, run.code());
    assertTrue(run.err().contains("proxy = (hidden) from --proxy is not valid: expected a proxy"
        + " URL"), run.err());
    assertFalse(run.err().contains("s3cret"), run.err());
  }

  @Test
  void fileThenEnvironmentThenFlagsEachOverrideTheOneBefore() throws Exception {
    Files.writeString(workDir.resolve("rangefetch.properties"), String.join("\n",
        "server.host=0.0.0.0", "server.port=1000", "limits.max-threads=2",
        "limits.max-concurrent-downloads=7", "security.allowed-origins=https://a.example, "
            + "http://b.example:8080", "security.block-private-networks=true",
        "security.max-message-bytes=128K"));
    Map<String, String> env = Map.of("RANGEFETCH_SERVER_PORT", "2000",
        "RANGEFETCH_LIMITS_MAX_THREADS", "3", "RANGEFETCH_SECURITY_TOKEN", "from-env");

    ServerConfig config = resolve(env, "--port", "3000", "--download-dir", "dl");

    assertEquals("0.0.0.0", config.host());
    assertEquals(3000, config.port());
    assertEquals(3, config.limits().maxThreads());
    assertEquals(7, config.limits().maxConcurrentDownloads());
    assertEquals(workDir.resolve("dl"), config.downloadDir());
    assertEquals("from-env", config.token().orElseThrow());
    assertEquals(List.of("https://a.example", "http://b.example:8080"), config.allowedOrigins());
    assertTrue(config.blockPrivateNetworks());
    assertEquals(128 * 1024, config.maxMessageBytes());
  }

  @Test
  void configFlagReadsThatFileInsteadOfTheDefaultOne() throws Exception {
    Files.writeString(workDir.resolve("rangefetch.properties"), "server.port=1111\n");
    Files.writeString(workDir.resolve("other.properties"), "server.port=2222\n");

    assertEquals(2222, resolve(Map.of(), "--config", "other.properties").port());
    assertEquals(1111, resolve(Map.of()).port());
  }

  @Test
  void everyFlagSetsItsKey() {
    ServerConfig config = resolve(Map.of(), "--host", "::1", "--port", "0", "--download-dir",
        "/tmp/x", "--max-threads", "5", "--max-bytes-per-thread", "512K",
        "--max-concurrent-downloads", "2", "--token", "t0k");

    assertEquals("::1", config.host());
    assertEquals(0, config.port());
    assertEquals(Path.of("/tmp/x"), config.downloadDir());
    assertEquals(5, config.limits().maxThreads());
    assertEquals(512 * 1024, config.limits().maxBytesPerThread());
    assertEquals(2, config.limits().maxConcurrentDownloads());
    assertEquals("t0k", config.token().orElseThrow());
  }

  @Test
  void sizesTakeSuffixes() {
    assertEquals(512 * 1024L, ConfigKeys.size("512K"));
    assertEquals(4 * 1024 * 1024L, ConfigKeys.size("4M"));
    assertEquals(1024 * 1024 * 1024L, ConfigKeys.size("1G"));
    assertEquals(2 * 1024 * 1024L, ConfigKeys.size("2MiB"));
    assertEquals(3 * 1024L, ConfigKeys.size("3kb"));
    assertEquals(12345L, ConfigKeys.size("12345"));
  }

  @Test
  void historyMaxFinished_defaultFromTheEnvironmentAndZero() {
    assertEquals(1000, resolve(Map.of()).maxFinished());
    assertEquals(50, resolve(Map.of("RANGEFETCH_HISTORY_MAX_FINISHED", "50")).maxFinished());
    assertEquals(0, resolve(Map.of("RANGEFETCH_HISTORY_MAX_FINISHED", "0")).maxFinished());
  }

  @Test
  void historyMaxFinished_negative() {
    Run run = run(Map.of("RANGEFETCH_HISTORY_MAX_FINISHED", "-1"));

    assertEquals(2, run.code());
    assertTrue(run.err().contains("history.max-finished = \"-1\" from environment variable"
        + " RANGEFETCH_HISTORY_MAX_FINISHED is not valid: expected a whole number from 0 to"
        + " 1000000"), run.err());
  }

  @Test
  void badValuesStopStartUpWithExitCode2NamingKeyValueAndSource() throws Exception {
    Files.writeString(workDir.resolve("bad.properties"), "limits.max-bytes-per-thread=4X\n");
    record Case(Map<String, String> env, List<String> args, String expected) {}
    List<Case> cases = List.of(
        new Case(Map.of(), List.of("--port", "abc"), "server.port = \"abc\" from --port"),
        new Case(Map.of(), List.of("--port", "70000"), "server.port = \"70000\" from --port"),
        new Case(Map.of("RANGEFETCH_LIMITS_MAX_THREADS", "0"), List.of(),
            "limits.max-threads = \"0\" from environment variable RANGEFETCH_LIMITS_MAX_THREADS"),
        new Case(Map.of(), List.of("--max-threads", "65"), "limits.max-threads = \"65\""),
        new Case(Map.of(), List.of("--config", "bad.properties"),
            "limits.max-bytes-per-thread = \"4X\" from " + workDir.resolve("bad.properties")),
        new Case(Map.of("RANGEFETCH_SECURITY_BLOCK_PRIVATE_NETWORKS", "maybe"), List.of(),
            "security.block-private-networks = \"maybe\""),
        new Case(Map.of("RANGEFETCH_SECURITY_MAX_MESSAGE_BYTES", "10"), List.of(),
            "security.max-message-bytes = \"10\""),
        new Case(Map.of("RANGEFETCH_SECURITY_ALLOWED_ORIGINS", "evil"), List.of(),
            "security.allowed-origins = \"evil\""),
        new Case(Map.of(), List.of("--max-concurrent-downloads", "-1"),
            "limits.max-concurrent-downloads = \"-1\""));

    for (Case c : cases) {
      Run run = run(c.env(), c.args().toArray(String[]::new));

      assertEquals(2, run.code(), c.toString());
      assertTrue(run.err().contains(c.expected()), run.err());
      assertEquals("", run.out(), "nothing started: " + c);
    }
  }

  @Test
  void badTokenIsRefusedWithoutRepeatingIt() {
    Run run = run(Map.of(), "--token", "has space");

    assertEquals(2, run.code());
    assertTrue(run.err().contains("security.token"), run.err());
    assertFalse(run.err().contains("has space"), run.err());
  }

  @Test
  void unknownKeyInTheFileIsRefused() throws Exception {
    Files.writeString(workDir.resolve("rangefetch.properties"), "server.prot=1\n");

    Run run = run(Map.of());

    assertEquals(2, run.code());
    assertTrue(run.err().contains("unknown key \"server.prot\""), run.err());
  }

  @Test
  void missingConfigFileIsRefused() {
    Run run = run(Map.of(), "--config", "nowhere.properties");

    assertEquals(2, run.code());
    assertTrue(run.err().contains("nowhere.properties"), run.err());
  }

  @Test
  void helpListsTheFlagsAndStartsNothing() {
    Run run = run(Map.of(), "--help");

    assertEquals(0, run.code());
    for (String flag : List.of("--config", "--host", "--port", "--download-dir",
        "--max-threads", "--max-bytes-per-thread", "--max-concurrent-downloads", "--token")) {
      assertTrue(run.out().contains(flag), flag + " in " + run.out());
    }
  }
}
