package io.rangefetch.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rangefetch.testing.SeededBytes;
import io.rangefetch.testing.Sha256;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockWebServer;
import mockwebserver3.junit5.StartStop;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs {@code bin/rangefetch}, the launcher users run, with the built jar. Runs in the
 * {@code integration-test} phase, after the jar is built.
 */
@Timeout(180)
class LauncherJarIT {
  private static final Path SCRIPT = Path.of("bin/rangefetch").toAbsolutePath();
  private static final Path JAR =
      Path.of(System.getProperty("rangefetch.cli.jar", "target/rangefetch-cli.jar"))
          .toAbsolutePath();

  @StartStop private final MockWebServer server = new MockWebServer();
  @TempDir Path dir;

  @Test
  void downloadsThriceAndTheThirdRunUsesTheClassDataArchive() throws Exception {
    byte[] body = SeededBytes.of(200 * 1024, 7);
    server.setDispatcher(FetchCommandTest.origin(body));
    Path cache = dir.resolve("cache");

    // the first run lists its classes, the second makes the archive from the list, and the
    // third must map it (-Xshare:on: the JVM refuses to start without its archive)
    Path classLog = dir.resolve("third-classes.log");
    for (String name : List.of("first.bin", "second.bin", "third.bin")) {
      List<String> env = name.equals("third.bin")
          ? List.of("RANGEFETCH_JAVA_OPTS=-Xshare:on -Xlog:class+load:file=" + classLog)
          : List.of();
      Result run = run(env, cache, "-q", "-c", "64K", "-o", dir.resolve(name).toString(),
          server.url("/data.bin").toString());

      assertEquals(0, run.exitCode(), name + ": " + run.output());
      assertEquals(Sha256.of(body), Sha256.of(dir.resolve(name)));
    }
    try (var archives = Files.list(cache)) {
      assertEquals(1, archives.filter(p -> p.toString().endsWith(".jsa")).count(),
          "one class-data archive for this build of the jar");
    }
    // picocli's classes are Java 5 bytecode, which only a static archive takes: the start-up
    // the archive is for
    String loaded = Files.readString(classLog);
    assertTrue(loaded.contains("picocli.CommandLine source: shared objects file"),
        "picocli was not loaded from the archive");
    assertTrue(loaded.contains("io.rangefetch.examples.cli.Main source: shared objects file"),
        "the CLI was not loaded from the archive");
  }

  @Test
  void usesTheQuickCompilerOnlyUnlessADigestIsAsked() throws Exception {
    assertTrue(jvmOptions("-q", "http://127.0.0.1:9/a").contains("-XX:TieredStopAtLevel=1"));
    // C1 alone: the CLI's own directive (QuickCompilerOnly) would only cost start-up time
    assertTrue(jvmOptions("-q", "http://127.0.0.1:9/a")
        .contains("-D" + QuickCompilerOnly.PROPERTY + "=false"));
    assertTrue(jvmOptions("--sha256", "ab".repeat(32), "http://127.0.0.1:9/a")
        .contains("-XX:TieredStopAtLevel=4"));
    // with C2 on, the directive keeps it to SHA-256
    assertTrue(jvmOptions("--sha256", "ab".repeat(32), "http://127.0.0.1:9/a").stream()
        .noneMatch(option -> option.startsWith("-D" + QuickCompilerOnly.PROPERTY)));
    assertTrue(jvmOptions("--sha256=" + "ab".repeat(32), "http://127.0.0.1:9/a")
        .contains("-XX:TieredStopAtLevel=4"));
  }

  /** The options the launcher gives the JVM: a stand-in {@code java} prints them. */
  private List<String> jvmOptions(String... args) throws Exception {
    Path fakeJava = dir.resolve("java");
    Files.writeString(fakeJava, "#!/bin/sh\nfor a in \"$@\"; do echo \"$a\"; done\n");
    Files.setPosixFilePermissions(fakeJava, PosixFilePermissions.fromString("rwx------"));
    Result run = run(List.of("JAVA=" + fakeJava), dir.resolve("cache"), args);
    assertEquals(0, run.exitCode(), run.output());
    return run.output().lines().toList();
  }

  private Result run(List<String> env, Path cache, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("bash", SCRIPT.toString()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile())
        .redirectErrorStream(true);
    builder.environment().keySet().removeIf(name -> name.startsWith("RANGEFETCH_"));
    builder.environment().put("RANGEFETCH_JAR", JAR.toString());
    builder.environment().put("RANGEFETCH_CACHE", cache.toString());
    for (String pair : env) {
      String[] kv = pair.split("=", 2);
      builder.environment().put(kv[0], kv[1]);
    }
    Process process = builder.start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(120, TimeUnit.SECONDS), "the launcher did not end");
    return new Result(process.exitValue(), output);
  }

  private record Result(int exitCode, String output) {}
}
