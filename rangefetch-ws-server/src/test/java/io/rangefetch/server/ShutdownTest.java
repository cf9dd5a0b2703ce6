package io.rangefetch.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rangefetch.testing.TestOrigin;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Stopping the server: sessions closed with 1001, downloads stopped, no half-written file. */
class ShutdownTest {
  @TempDir Path dir;
  private TestOrigin origin;

  @BeforeEach
  void startOrigin() throws Exception {
    origin = new TestOrigin();
  }

  @AfterEach
  void stopOrigin() throws Exception {
    origin.close();
  }

  @Test
  void closeEndsSessionsWith1001AndLeavesNothingUnderAFinalName() throws Exception {
    origin.file("/slow.bin", 500_000);
    var reached = origin.hold("/slow.bin");
    RunningServer server = RunningServer.start(dir);
    try (ProtocolClient client = server.connectApi();
        ProtocolClient console = ProtocolClient.connect(server.console())) {
      client.request("a", ApiCommandsTest.add(origin.uri("/slow.bin")));
      assertTrue(reached.await(60, TimeUnit.SECONDS));

      server.close();

      assertEquals(1001, client.awaitClose().code());
      assertEquals(1001, console.awaitClose().code());
      assertTrue(Files.notExists(dir.resolve("slow.bin")), "nothing under the final name");
      assertTrue(filesIn(dir).stream().allMatch(p -> p.getFileName().toString()
          .startsWith("slow.bin.part")), "only the part file, kept to continue: " + filesIn(dir));
    }
  }

  @Test
  void standaloneMainPrintsItsAddressAndStopsCleanlyOnSigterm() throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process process = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
        Main.class.getName(), "--port", "0", "--download-dir", dir.toString())
        .redirectError(ProcessBuilder.Redirect.DISCARD)
        .start();
    try {
      BufferedReader out = new BufferedReader(
          new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
      String line = out.readLine();
      assertTrue(line != null && line.matches("http://127\\.0\\.0\\.1:\\d+/"), line);
      URI api = URI.create(line.replace("http://", "ws://") + "ws");
      try (ProtocolClient client = ProtocolClient.connect(api)) {
        client.assertHello();

        process.destroy();

        assertEquals(1001, client.awaitClose().code());
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the server exits");
      }
    } finally {
      process.destroyForcibly();
    }
  }

  private static List<Path> filesIn(Path dir) throws Exception {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> !p.getFileName().toString().startsWith(".rangefetch-state"))
          .toList();
    }
  }
}
