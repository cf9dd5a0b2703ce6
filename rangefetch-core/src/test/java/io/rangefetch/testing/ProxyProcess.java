package io.rangefetch.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real proxy from Debian, started by a test on a free loopback port and stopped by
 * {@link #close()}: {@code tinyproxy} (HTTP, optionally with Basic authentication) or
 * {@code microsocks} (SOCKS5, optionally with a user name and password). Its log tells a test
 * which requests it carried. A missing program fails the test with what to install.
 */
public final class ProxyProcess implements AutoCloseable {
  private static final Duration START = Duration.ofSeconds(30);
  private final Process process;
  private final Path log;
  private final int port;

  private ProxyProcess(Process process, Path log, int port) {
    this.process = process;
    this.log = log;
    this.port = port;
  }

  /**
   * Starts tinyproxy; with a non-empty {@code user}, it asks for that user and password.
   *
   * @param dir a directory for its configuration and log
   */
  public static ProxyProcess tinyproxy(Path dir, String user, String password) throws Exception {
    String program = require("tinyproxy", "/usr/bin/tinyproxy");
    Path log = dir.resolve("tinyproxy.log");
    int port = freePort();
    Path config = dir.resolve("tinyproxy.conf");
    Files.writeString(config, "Port " + port + "\nListen 127.0.0.1\nTimeout 600\n"
        + "LogFile \"" + log + "\"\nLogLevel Connect\nMaxClients 100\nAllow 127.0.0.1\n"
        + (user.isEmpty() ? "" : "BasicAuth " + user + " " + password + "\n"));
    return start(List.of(program, "-d", "-c", config.toString()), dir, log, port);
  }

  /**
   * Starts microsocks; with a non-empty {@code user}, it asks for that user and password.
   *
   * @param dir a directory for its log
   */
  public static ProxyProcess microsocks(Path dir, String user, String password)
      throws Exception {
    String program = require("microsocks", "/usr/bin/microsocks");
    int port = freePort();
    List<String> command = new ArrayList<>(
        List.of(program, "-i", "127.0.0.1", "-p", Integer.toString(port)));
    if (!user.isEmpty()) {
      command.addAll(List.of("-u", user, "-P", password));
    }
    return start(command, dir, dir.resolve("microsocks.log"), port);
  }

  private static String require(String name, String path) {
    if (!Files.isExecutable(Path.of(path))) {
      throw new AssertionError(name + " is not installed (" + path + "); this test runs a real "
          + name + ": run .ci/run, or apt-get install " + name);
    }
    return path;
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  private static ProxyProcess start(List<String> command, Path dir, Path log, int port)
      throws Exception {
    Process process = new ProcessBuilder(command).directory(dir.toFile())
        .redirectErrorStream(true)
        // tinyproxy writes to its LogFile; microsocks logs each connection on stdout.
        .redirectOutput(log.getFileName().toString().startsWith("tinyproxy")
            ? ProcessBuilder.Redirect.DISCARD : ProcessBuilder.Redirect.to(log.toFile()))
        .start();
    ProxyProcess proxy = new ProxyProcess(process, log, port);
    long deadline = System.nanoTime() + START.toNanos();
    while (true) {
      try (Socket probe = new Socket()) {
        probe.connect(new InetSocketAddress("127.0.0.1", port), 1000);
        return proxy;
      } catch (IOException notYet) {
        if (!process.isAlive() || System.nanoTime() > deadline) {
          proxy.close();
          throw new AssertionError(command.get(0) + " did not listen on port " + port
              + " within " + START + " (exit " + (process.isAlive() ? "-" : process.exitValue())
              + "): " + proxy.log());
        }
        // Waiting for the process to bind: the only signal is a connect that succeeds.
        process.waitFor(50, TimeUnit.MILLISECONDS);
      }
    }
  }

  /** The proxy's port on 127.0.0.1. */
  public int port() {
    return port;
  }

  /** What it logged so far. */
  public String log() throws IOException {
    return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
  }

  /**
   * Waits until the log contains {@code text}: a proxy writes its log line after it passed
   * the data on, so the client may finish first.
   */
  public String awaitLog(String text) throws Exception {
    long deadline = System.nanoTime() + START.toNanos();
    String now = log();
    while (!now.contains(text)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the proxy's log has no \"" + text + "\" after " + START
            + ":\n" + now);
      }
      process.waitFor(50, TimeUnit.MILLISECONDS);
      now = log();
    }
    return now;
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
  }
}
