package io.rangefetch.server;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The server's {@link Main} in a child JVM on a free port, with this test's class path (the
 * module's classes and dependencies, as the shaded jar holds them), so that it can be killed
 * with SIGKILL. Its stderr (the log) is kept for the assertions and for failure messages.
 * Thread-safe.
 */
final class ChildServer implements AutoCloseable {
  private static final long WAIT_SECONDS = 90;

  private final Process process;
  private final List<String> errLines = new CopyOnWriteArrayList<>();
  private final BlockingQueue<String> outLines = new LinkedBlockingQueue<>();
  private final URI base;

  private ChildServer(Process process) throws InterruptedException {
    this.process = process;
    collect(process.getInputStream(), outLines::add);
    collect(process.getErrorStream(), errLines::add);
    String first = outLines.poll(WAIT_SECONDS, TimeUnit.SECONDS);
    if (first == null) {
      process.destroyForcibly();
    }
    assertNotNull(first, "the server printed no address within " + WAIT_SECONDS + " s; stderr: "
        + err());
    this.base = URI.create(first.trim());
  }

  /**
   * Starts {@code java -cp <test class path> io.rangefetch.server.Main --port 0
   * --download-dir DIR} in {@code workDir}, without any RANGEFETCH_* variable, and waits until
   * it prints its address.
   */
  static ChildServer start(Path downloadDir, Path workDir) throws Exception {
    return start(downloadDir, workDir, Map.of());
  }

  /**
   * As {@link #start(Path, Path)}, with these RANGEFETCH_* variables and these flags added.
   */
  static ChildServer start(Path downloadDir, Path workDir, Map<String, String> env,
      String... flags) throws Exception {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-XX:TieredStopAtLevel=1",
        "-cp", System.getProperty("java.class.path"),
        "io.rangefetch.server.Main",
        "--port", "0", "--download-dir", downloadDir.toString()));
    command.addAll(List.of(flags));
    ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile());
    builder.environment().keySet().removeIf(name -> name.startsWith("RANGEFETCH_"));
    builder.environment().putAll(env);
    return new ChildServer(builder.start());
  }

  URI api() {
    return URI.create("ws://" + base.getHost() + ":" + base.getPort() + "/ws");
  }

  /** Connects to {@code /ws} and reads the hello. */
  ProtocolClient connectApi() throws Exception {
    ProtocolClient client = ProtocolClient.connect(api());
    client.assertHello();
    return client;
  }

  /** SIGKILL: the JVM dies at once, without shutdown hooks or a last state file. */
  void kill() throws InterruptedException {
    process.toHandle().destroyForcibly();
    assertTrue(process.waitFor(WAIT_SECONDS, TimeUnit.SECONDS), "the server did not die");
  }

  /** What the server logged so far. */
  String err() {
    return String.join("\n", errLines);
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.toHandle().destroy();
      if (!process.waitFor(WAIT_SECONDS, TimeUnit.SECONDS)) {
        process.toHandle().destroyForcibly();
        process.waitFor(WAIT_SECONDS, TimeUnit.SECONDS);
      }
    }
  }

  private static void collect(InputStream stream, Consumer<String> sink) {
    Thread reader = new Thread(() -> {
      try (BufferedReader lines = new BufferedReader(
          new InputStreamReader(stream, StandardCharsets.UTF_8))) {
        lines.lines().forEach(sink);
      } catch (IOException | java.io.UncheckedIOException ignored) {
        // The child is gone; what was read is kept.
      }
    }, "child-server-output");
    reader.setDaemon(true);
    reader.start();
  }
}
