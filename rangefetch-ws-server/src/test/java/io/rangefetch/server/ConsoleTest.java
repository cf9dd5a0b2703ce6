package io.rangefetch.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rangefetch.testing.Sha256;
import io.rangefetch.testing.TestOrigin;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The console on {@code /}: text lines in, text lines out. */
class ConsoleTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  private TestOrigin origin;
  private RunningServer server;
  private ProtocolClient console;

  @BeforeEach
  void start() throws Exception {
    origin = new TestOrigin();
    server = RunningServer.start(dir);
    console = ProtocolClient.connect(server.console());
    console.assertHello();
  }

  @AfterEach
  void stop() throws Exception {
    console.close();
    server.close();
    origin.close();
  }

  @Test
  void urlGetsAStatusLineThenTheFileUriOnceComplete() throws Exception {
    byte[] content = origin.file("/c/a.iso", 50_000);
    String url = origin.uri("/c/a.iso").toString();

    console.send(url);
    String first = console.next();
    server.awaitState("1", "completed");
    console.send(url);
    String again = console.next();

    assertTrue(first.matches("url:" + url.replace(".", "\\.")
        + ", size:(\\d+|unknown), threads:\\d+, progress:[\\d.]+%, state:"
        + "(queued|probing|downloading|completed)") || first.startsWith("file:///"), first);
    assertTrue(again.startsWith("file:///"), again);
    Path file = Path.of(URI.create(again));
    assertEquals(Sha256.of(content), Sha256.of(Files.readAllBytes(file)));
  }

  @Test
  void statusLineShowsFailureAndItsReason() throws Exception {
    String url = origin.uri("/nothing.iso").toString();
    console.send(url);
    console.next();
    server.awaitState("1", "failed");

    console.send("list");
    String line = console.next();

    assertTrue(line.startsWith("url:" + url + ", size:unknown, threads:0, progress:0%, "
        + "state:failed, error:"), line);
  }

  @Test
  void listSendsOneLinePerDownloadNewestFirst() throws Exception {
    origin.file("/a", 10);
    origin.file("/b", 10);
    console.send(origin.uri("/a").toString());
    console.next();
    console.send(origin.uri("/b").toString());
    console.next();

    console.send("list");
    String newest = console.next();
    String oldest = console.next();

    assertTrue(newest.contains("/b") || newest.endsWith("/b"), newest);
    assertTrue(oldest.contains("/a") || oldest.endsWith("/a"), oldest);
  }

  @Test
  void listWithoutDownloadsSaysSo() throws Exception {
    console.send("list");

    assertTrue(console.next().startsWith("no downloads yet"));
  }

  @Test
  void helpDescribesTheCommands() throws Exception {
    console.send("help");
    String help = console.next();

    assertTrue(help.contains("list") && help.contains("help") && help.contains("URL"), help);
  }

  @Test
  void anythingElseIsAnErrorLineAndTheConsoleGoesOn() throws Exception {
    console.send("download please");
    String error = console.next();
    console.send("ftp://example.org/a.iso");
    String scheme = console.next();
    console.send("help");

    assertTrue(error.startsWith("error:"), error);
    assertTrue(error.contains("http://"), error);
    assertTrue(scheme.startsWith("error:") && scheme.contains("http"), scheme);
    assertTrue(console.next().contains("list"));
  }

  @Test
  void jsonMessageGetsAJsonReply() throws Exception {
    console.send("{\"op\":\"list\",\"requestId\":\"c1\"}");
    JsonNode reply = JSON.readTree(console.next());

    assertEquals("list", reply.get("type").asText());
    assertEquals("c1", reply.get("requestId").asText());
  }

  @Test
  void consoleGetsPushesOnlyAfterSubscribing() throws Exception {
    origin.file("/a", 10);
    origin.file("/b", 10);
    console.send(origin.uri("/a").toString());
    console.next();
    server.awaitState("1", "completed");
    console.send("list");
    String onlyLine = console.next();

    console.send("{\"op\":\"subscribe\",\"requestId\":\"s\"}");
    JsonNode ok = JSON.readTree(console.next());
    console.send(origin.uri("/b").toString());
    JsonNode pushed = console.awaitState("2", "completed");

    assertTrue(onlyLine.startsWith("file:///"), "no push came before the list: " + onlyLine);
    assertEquals("ok", ok.get("type").asText());
    assertEquals("completed", pushed.get("state").asText());
  }
}
