package io.rangefetch.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.rangefetch.Limits;
import io.rangefetch.testing.Sha256;
import io.rangefetch.testing.TestOrigin;
import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard in a real browser: Debian's headless Chromium, driven by Selenium, against a real
 * server on a free port and a local origin that serves byte ranges slowly. Every test leaves a
 * screenshot of the page in {@code target/dashboard-<test>.png}.
 */
class DashboardBrowserTest {
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final int CHUNK = 64 * 1024;
  private static final int MANY = 250;
  private static final String TOKEN = "dash-token-7";
  private static final HttpClient HTTP = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(30)).build();

  @TempDir Path dir;
  @TempDir Path browserProfile;
  private TestOrigin origin;
  private RangefetchServer server;
  private ChromeDriver browser;
  private WebDriverWait wait;

  @BeforeAll
  static void keepSeleniumOffline() {
    // The driver and the browser are given by path below, so Selenium Manager has nothing to
    // look up; this also stops it from sending usage statistics if it ever runs.
    System.setProperty("SE_AVOID_STATS", "true");
    System.setProperty("webdriver.chrome.driver", CHROMEDRIVER.toString());
  }

  @BeforeEach
  void start() throws Exception {
    assertTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
        "these tests need Debian's chromium and chromium-driver: apt-get install -y chromium "
            + "chromium-driver");
    origin = new TestOrigin();
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--disable-dev-shm-usage", "--disable-default-apps",
        "--disable-extensions", "--disable-domain-reliability", "--no-pings",
        "--window-size=1440,900", "--user-data-dir=" + browserProfile);
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(new File(CHROMEDRIVER.toString()))
        .usingAnyFreePort()
        .build();
    browser = new ChromeDriver(service, options);
    wait = new WebDriverWait(browser, WAIT, Duration.ofMillis(50));
    wait.ignoring(StaleElementReferenceException.class);
  }

  @AfterEach
  void stop(TestInfo test) throws Exception {
    try {
      if (browser != null) {
        screenshot(Path.of("target", "dashboard-" + test.getTestMethod().get().getName() + ".png"));
        browser.quit();
      }
    } finally {
      if (server != null) {
        server.close();
      }
      origin.close();
    }
  }

  @Test
  void addedDownloadShowsProgressThenFileLocationAndDigest() throws Exception {
    startServer(ServerConfig.newBuilder(), dir, 0);
    byte[] content = origin.file("/movie.bin", 24 * CHUNK, 96 * 1024);
    openDashboard("");

    add(origin.uri("/movie.bin"), "2", String.valueOf(CHUNK));
    WebElement row = rowOf(origin.uri("/movie.bin"));

    wait.until(d -> percent(row) > 0 && percent(row) < 100);
    awaitState(row, "completed");
    Path file = dir.resolve("movie.bin");
    assertEquals(100.0, percent(row));
    assertEquals("100.0 %", row.findElement(By.cssSelector(".percent")).getText());
    assertEquals(file.toUri().toString(),
        row.findElement(By.cssSelector(".file-uri")).getDomProperty("value"));
    assertEquals(Sha256.of(content), Sha256.of(Files.readAllBytes(file)));
    assertEquals(Sha256.of(content), row.findElement(By.cssSelector(".sha256")).getText());
    assertTrue(row.findElement(By.cssSelector(".col-threads")).getText().endsWith("/ 2"),
        "the threads cell shows the cap asked for in the form");

    row.findElement(By.cssSelector("button.copy")).click();
    wait.until(d -> row.findElement(By.cssSelector("button.copy")).getText().equals("Copied"));
    screenshot(Path.of("target", "dashboard-screenshot.png"));
  }

  @Test
  void pausedDownloadShowsPausedThenResumesToCompletion() throws Exception {
    startServer(ServerConfig.newBuilder(), dir, 0);
    byte[] content = origin.file("/slow.bin", 32 * CHUNK, 8 * 1024);
    openDashboard("");
    add(origin.uri("/slow.bin"), "", "");
    WebElement row = rowOf(origin.uri("/slow.bin"));
    awaitState(row, "downloading");

    button(row, "pause").click();
    awaitState(row, "paused");
    assertFalse(button(row, "pause").isEnabled());
    assertTrue(button(row, "resume").isEnabled());
    origin.rate("/slow.bin", Long.MAX_VALUE);
    button(row, "resume").click();
    awaitState(row, "completed");

    assertEquals(Sha256.of(content),
        Sha256.of(Files.readAllBytes(dir.resolve("slow.bin"))));
    assertFalse(button(row, "resume").isEnabled());
    assertFalse(button(row, "cancel").isEnabled());
  }

  @Test
  void showsEachSourceAndTakesANewUrlForAPausedDownload() throws Exception {
    startServer(ServerConfig.newBuilder(), dir, 0);
    byte[] content = origin.file("/iso.bin", 32 * CHUNK, 8 * 1024);
    try (TestOrigin mirror = new TestOrigin(); TestOrigin moved = new TestOrigin()) {
      // given a slow download with a mirror, added through the form
      mirror.file("/iso.bin", 32 * CHUNK, 8 * 1024);
      moved.file("/iso.bin", 32 * CHUNK);
      openDashboard("");
      type("add-mirrors", mirror.uri("/iso.bin").toString());
      add(origin.uri("/iso.bin"), "", "");
      WebElement row = rowOf(origin.uri("/iso.bin"));
      wait.until(d -> row.findElements(By.cssSelector(".source")).size() == 2);
      assertEquals(mirror.uri("/iso.bin").toString(),
          row.findElements(By.cssSelector(".source-url")).get(1).getText());
      awaitState(row, "downloading");
      button(row, "pause").click();
      awaitState(row, "paused");

      // when a person gives it a new URL of the same file, and resumes it
      row.findElement(By.cssSelector("button.new-url-toggle")).click();
      row.findElement(By.cssSelector(".new-url-input")).sendKeys(moved.uri("/iso.bin").toString());
      row.findElement(By.cssSelector("button.new-url-apply")).click();
      wait.until(d -> row.findElement(By.cssSelector(".url")).getText()
          .equals(moved.uri("/iso.bin").toString()));
      button(row, "resume").click();
      awaitState(row, "completed");

      // then the file is right, and the row says the bytes on disk were kept
      assertEquals(Sha256.of(content),
          Sha256.of(Files.readAllBytes(dir.resolve("iso.bin"))));
      wait.until(d -> row.findElements(By.cssSelector(".source-note")).get(0).getText()
          .contains("kept"));
    }
  }

  @Test
  void withoutTheClipboardApiCopySelectsTheLinkAndCopiesItTheOldWay() throws Exception {
    startServer(ServerConfig.newBuilder(), dir, 0);
    origin.file("/a.bin", CHUNK);
    openDashboard("");
    add(origin.uri("/a.bin"), "", "");
    WebElement row = rowOf(origin.uri("/a.bin"));
    awaitState(row, "completed");
    String uri = dir.resolve("a.bin").toUri().toString();
    // As on a page served over plain http from another host: no navigator.clipboard. The
    // stand-in for execCommand records what is selected when the page asks to copy.
    browser.executeScript("Object.defineProperty(navigator, 'clipboard',"
        + " {value: undefined, configurable: true});"
        + "window.copiedText = null;"
        + "document.execCommand = cmd => { const e = document.activeElement;"
        + " window.copiedText = cmd + ':' + e.value.substring(e.selectionStart, e.selectionEnd);"
        + " return window.copyWorks; };"
        + "window.copyWorks = true;");

    copyButton(row).click();

    wait.until(d -> copyButton(row).getText().equals("Copied"));
    assertEquals("copy:" + uri, browser.executeScript("return window.copiedText;"));

    // Where even that fails, the link stays selected for the user's own Ctrl+C.
    browser.executeScript("window.copyWorks = false;");
    wait.until(d -> copyButton(row).getText().equals("Copy"));
    copyButton(row).click();

    wait.until(d -> copyButton(row).getText().equals("Press Ctrl+C"));
    assertEquals(uri, browser.executeScript("const e = document.activeElement;"
        + " return e.value.substring(e.selectionStart, e.selectionEnd);"));
  }

  @Test
  void removeTakesTheRowOffTheTable() throws Exception {
    startServer(ServerConfig.newBuilder(), dir, 0);
    origin.file("/keep.bin", CHUNK);
    origin.file("/gone.bin", CHUNK);
    openDashboard("");
    add(origin.uri("/keep.bin"), "", "");
    add(origin.uri("/gone.bin"), "", "");
    WebElement gone = rowOf(origin.uri("/gone.bin"));
    awaitState(gone, "completed");

    button(gone, "remove").click();

    wait.until(d -> urlsShown().equals(List.of(origin.uri("/keep.bin").toString())));
  }

  @Test
  void deletedFileShowsAsMissingAndDownloadAgainFetchesItAnew() throws Exception {
    startServer(ServerConfig.newBuilder(), dir, 0);
    byte[] content = origin.file("/lost.bin", 3 * CHUNK);
    openDashboard("");
    add(origin.uri("/lost.bin"), "", "");
    WebElement row = rowOf(origin.uri("/lost.bin"));
    awaitState(row, "completed");
    Path file = dir.resolve("lost.bin");

    Files.delete(file);

    wait.until(d -> row.findElement(By.cssSelector(".file-missing")).isDisplayed());
    assertTrue(row.findElement(By.cssSelector(".file-missing")).getText().contains("File missing"));
    assertFalse(row.findElement(By.cssSelector(".file-link")).isDisplayed(),
        "no download link to a file that is gone");
    row.findElement(By.cssSelector("button.again")).click();
    // The add replaces the row whose file is gone with a new download of the same URL.
    wait.until(d -> d.findElements(By.cssSelector("tr.download")).size() == 1
        && d.findElements(By.cssSelector("tr.download.missing")).isEmpty()
        && d.findElement(By.cssSelector("tr.download .state")).getText().equals("completed"));
    assertEquals(Sha256.of(content), Sha256.of(Files.readAllBytes(file)));
  }

  @Test
  void formShowsTheServerCapsAndItsErrors() throws Exception {
    startServer(ServerConfig.newBuilder()
        .limits(Limits.newBuilder().maxThreads(3).maxBytesPerThread(CHUNK).build()), dir, 0);
    openDashboard("");
    // "connected" shows when the socket opens; the caps come with the hello right after.
    WebElement threads = browser.findElement(By.id("add-threads"));
    wait.until(d -> threads.getDomAttribute("max") != null);

    assertEquals("3", threads.getDomAttribute("max"));
    assertEquals(String.valueOf(CHUNK),
        browser.findElement(By.id("add-chunk")).getDomAttribute("max"));
    add(URI.create("ftp://127.0.0.1/file.iso"), "", "");

    WebElement error = browser.findElement(By.id("form-error"));
    wait.until(d -> error.isDisplayed());
    assertTrue(error.getText().contains("bad_url"), error.getText());
    assertEquals(List.of(), urlsShown());
  }

  @Test
  void theGlobalLimitAndADownloadsLimitSetInThePageReachTheServer() throws Exception {
    startServer(ServerConfig.newBuilder(), dir, 0);
    origin.file("/limited.bin", 64 * CHUNK, 32 * 1024);
    openDashboard("");
    WebElement now = browser.findElement(By.id("global-limit-now"));
    wait.until(d -> now.getText().contains("no limit"));

    type("global-limit", "2M");
    browser.findElement(By.id("global-limit-button")).click();
    wait.until(d -> now.getText().contains("2.0 MiB/s"));
    add(origin.uri("/limited.bin"), "", "");
    WebElement row = rowOf(origin.uri("/limited.bin"));
    awaitState(row, "downloading");
    WebElement limit = row.findElement(By.cssSelector("input.limit"));
    limit.sendKeys("64K");
    row.findElement(By.cssSelector("button.limit-set")).click();
    wait.until(d -> row.findElement(By.cssSelector(".limit-now")).getText()
        .equals("limit 64 KiB/s"));

    try (ProtocolClient client = ProtocolClient.connect(URI.create("ws://127.0.0.1:"
        + server.port() + "/ws"))) {
      JsonNode hello = client.nextJson();
      assertEquals(2 * 1024 * 1024, hello.get("limits").get("downloadBps").asLong());
      JsonNode download = client.await("list").get("downloads").get(0);
      assertEquals(64 * 1024, download.get("limitBps").asLong());

      type("global-limit", "");
      browser.findElement(By.id("global-limit-button")).click();
      wait.until(d -> now.getText().contains("no limit"));
      assertTrue(client.request("s", "{\"op\":\"setLimits\"}").get("limits")
          .get("downloadBps").isNull());
    }
    type("global-limit", "fast");
    browser.findElement(By.id("global-limit-button")).click();
    WebElement error = browser.findElement(By.id("form-error"));
    wait.until(d -> error.isDisplayed());
    assertTrue(error.getText().contains("512K or 4M"), error.getText());
  }

  @Test
  void withTokenThePageUsesTheOneInItsUrlAndSoDoesTheFileLink() throws Exception {
    startServer(ServerConfig.newBuilder().token(TOKEN), dir, 0);
    byte[] content = origin.file("/secret.bin", 4 * CHUNK);
    openPage("");
    WebElement banner = browser.findElement(By.id("banner"));
    wait.until(d -> banner.isDisplayed() && banner.getText().contains("token"));

    openDashboard("?token=" + TOKEN);
    add(origin.uri("/secret.bin"), "", "");
    WebElement row = rowOf(origin.uri("/secret.bin"));
    awaitState(row, "completed");
    URI link = URI.create(row.findElement(By.cssSelector("a.file-link")).getDomProperty("href"));

    HttpResponse<byte[]> file = get(link);
    assertEquals(200, file.statusCode());
    assertEquals(Sha256.of(content), Sha256.of(file.body()));
    assertEquals(401, get(URI.create(link.toString().replaceFirst("\\?token=.*", ""))).statusCode());
  }

  @Test
  void showsDisconnectedWhileTheServerIsDownAndRebuildsTheTableOnReconnect() throws Exception {
    startServer(ServerConfig.newBuilder(), dir, 0);
    int port = server.port();
    origin.file("/before.bin", CHUNK);
    origin.file("/after.bin", CHUNK);
    openDashboard("");
    add(origin.uri("/before.bin"), "", "");
    awaitState(rowOf(origin.uri("/before.bin")), "completed");
    WebElement banner = browser.findElement(By.id("banner"));
    assertFalse(banner.isDisplayed());

    server.close();
    wait.until(d -> banner.isDisplayed() && banner.getText().startsWith("Disconnected"));
    // Another download directory: the new server knows nothing, so the old row must go.
    startServer(ServerConfig.newBuilder(), Files.createTempDirectory(dir, "second"), port);

    wait.until(d -> !banner.isDisplayed() && urlsShown().isEmpty());
    assertEquals("connected", browser.findElement(By.id("connection")).getText());
    add(origin.uri("/after.bin"), "", "");
    awaitState(rowOf(origin.uri("/after.bin")), "completed");
  }

  @Test
  void keepsOneRowPerDownloadWithHundredsOfDownloads() throws Exception {
    startServer(ServerConfig.newBuilder()
        .limits(Limits.newBuilder().maxConcurrentDownloads(16).build()), dir, 0);
    openDashboard("");

    try (ProtocolClient client = ProtocolClient.connect(
        URI.create("ws://127.0.0.1:" + server.port() + "/ws"))) {
      for (int i = 0; i < MANY; i++) {
        origin.file("/many/" + i + ".bin", 4096);
        client.send(ApiCommandsTest.add(origin.uri("/many/" + i + ".bin")));
      }
      wait.until(d -> Long.valueOf(MANY).equals(browser.executeScript(
          "return document.querySelectorAll('tr.download[data-state=completed]').length;")));
    }

    List<String> urls = urlsShown();
    assertEquals(MANY, urls.size());
    assertEquals(origin.uri("/many/" + (MANY - 1) + ".bin").toString(), urls.get(0),
        "newest first");
    assertEquals(MANY + " downloads", browser.findElement(By.id("summary")).getText());
  }

  @Test
  void docsScreenshotShowsDownloadsInSeveralStates() throws Exception {
    startServer(ServerConfig.newBuilder()
        .limits(Limits.newBuilder().maxThreads(4).maxBytesPerThread(CHUNK).build()), dir, 0);
    origin.file("/debian-12.8.0-amd64-netinst.iso", 40 * CHUNK);
    origin.file("/datasets/weather-2025.csv.gz", 12 * CHUNK, 16 * 1024);
    origin.file("/videos/keynote-4k.mp4", 200 * CHUNK, 48 * 1024);
    origin.file("/backups/photos-2024.tar", 32 * CHUNK, 64 * 1024);
    openDashboard("");

    add(origin.uri("/debian-12.8.0-amd64-netinst.iso"), "", "");
    awaitState(rowOf(origin.uri("/debian-12.8.0-amd64-netinst.iso")), "completed");
    add(origin.uri("/releases/missing-1.0.zip"), "", "");
    awaitState(rowOf(origin.uri("/releases/missing-1.0.zip")), "failed");
    add(origin.uri("/backups/photos-2024.tar"), "2", "");
    WebElement paused = rowOf(origin.uri("/backups/photos-2024.tar"));
    wait.until(d -> percent(paused) >= 25);
    button(paused, "pause").click();
    awaitState(paused, "paused");
    add(origin.uri("/datasets/weather-2025.csv.gz"), "1", "");
    WebElement cancelled = rowOf(origin.uri("/datasets/weather-2025.csv.gz"));
    awaitState(cancelled, "downloading");
    button(cancelled, "cancel").click();
    awaitState(cancelled, "cancelled");
    add(origin.uri("/videos/keynote-4k.mp4"), "4", "");
    WebElement running = rowOf(origin.uri("/videos/keynote-4k.mp4"));
    wait.until(d -> percent(running) >= 5 && !running.findElement(By.cssSelector(".col-eta"))
        .getText().equals("–"));

    assertEquals(List.of("downloading", "cancelled", "paused", "failed", "completed"),
        browser.findElements(By.cssSelector("tr.download .state")).stream()
            .map(WebElement::getText).toList());
    assertFalse(rowOf(origin.uri("/releases/missing-1.0.zip")).findElement(By.cssSelector(".error"))
        .getText().isBlank());
    Path shot = screenshot(Path.of("target", "dashboard-docs.png"));
    String docs = System.getProperty("dashboard.docsScreenshot");
    if (docs != null) {
      Files.copy(shot, Path.of(docs), StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private void startServer(ServerConfig.Builder config, Path downloads, int port)
      throws Exception {
    server = RangefetchServer.create(config.port(port).downloadDir(downloads).build());
    server.start();
  }

  private void openPage(String query) {
    browser.get("http://127.0.0.1:" + server.port() + "/" + query);
  }

  private void openDashboard(String query) {
    openPage(query);
    WebElement connection = browser.findElement(By.id("connection"));
    wait.until(d -> connection.getText().equals("connected"));
  }

  private void add(URI url, String threads, String chunkBytes) {
    type("add-url", url.toString());
    type("add-threads", threads);
    type("add-chunk", chunkBytes);
    browser.findElement(By.id("add-button")).click();
  }

  private void type(String id, String text) {
    WebElement input = browser.findElement(By.id(id));
    input.clear();
    if (!text.isEmpty()) {
      input.sendKeys(text);
    }
  }

  private WebElement rowOf(URI url) {
    return wait.until(d -> d.findElements(By.cssSelector("tr.download")).stream()
        .filter(row -> row.findElement(By.cssSelector(".url")).getText().equals(url.toString()))
        .findFirst().orElse(null));
  }

  @SuppressWarnings("unchecked")
  private List<String> urlsShown() {
    // One script reads every row at once: a row removed between two WebDriver calls would be
    // a stale element.
    return (List<String>) browser.executeScript("return Array.from("
        + "document.querySelectorAll('tr.download .url'), e => e.textContent);");
  }

  private void awaitState(WebElement row, String state) {
    wait.until(d -> row.findElement(By.cssSelector(".state")).getText().equals(state));
  }

  private static WebElement copyButton(WebElement row) {
    return row.findElement(By.cssSelector("button.copy"));
  }

  private static WebElement button(WebElement row, String op) {
    return row.findElement(By.cssSelector("button.action." + op));
  }

  private static double percent(WebElement row) {
    return Optional.ofNullable(
            row.findElement(By.cssSelector("[role=progressbar]")).getDomAttribute("aria-valuenow"))
        .map(Double::parseDouble).orElse(0.0);
  }

  private Path screenshot(Path target) throws Exception {
    Files.createDirectories(target.getParent());
    Files.write(target, browser.getScreenshotAs(OutputType.BYTES));
    return target;
  }

  private static HttpResponse<byte[]> get(URI uri) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(uri).timeout(WAIT).build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }
}
