package io.rangefetch.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.rangefetch.testing.DirectoryWatch;
import io.rangefetch.testing.Exchange;
import io.rangefetch.testing.Sha256;
import io.rangefetch.testing.TestOrigin;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server in a child JVM, killed with SIGKILL in the middle of a download from a slow origin,
 * then started again on the same download directory: the download goes on by itself under the
 * same id and file, and the origin sees only the missing ranges asked for again. Also a paused
 * download killed and resumed, and the part file deleted, the control file garbled or truncated,
 * or the remote file changed between the two runs.
 */
@Timeout(300)
class CrashRestartTest {
  private static final int CHUNK = 256 * 1024;
  private static final int THREADS = 4;
  private static final int SLICE = 16 * 1024;
  private static final Duration SLICE_PAUSE = Duration.ofMillis(20);
  private static final long WAIT_SECONDS = 90;

  @TempDir Path root;
  private Path downloads;
  private Path work;
  private TestOrigin origin;

  @BeforeEach
  void setUp() throws Exception {
    downloads = Files.createDirectories(root.resolve("downloads"));
    work = Files.createDirectories(root.resolve("work"));
    origin = new TestOrigin();
  }

  @AfterEach
  void stopOrigin() throws Exception {
    origin.close();
  }

  @Test
  void killedWhileDownloading_continuesByItselfAndFetchesOnlyTheMissingRanges() throws Exception {
    byte[] small = origin.file("/small.bin", 10_000);
    byte[] big = slowFile("/big.bin", 4 * 1024 * 1024);
    Path control = downloads.resolve("big.bin.part.rangefetch");
    String smallId;
    String smallFile;
    String bigId;
    try (ChildServer first = ChildServer.start(downloads, work);
        ProtocolClient client = first.connectApi()) {
      client.await("list");
      smallId = add(client, "/small.bin");
      smallFile = client.awaitState(smallId, "completed").get("file").asText();
      // The origin stops between two slices once it has sent 4 chunks completely: the download
      // cannot end before the kill, however slow this machine is.
      origin.freezeAfter("/big.bin", 4L * CHUNK);
      bigId = add(client, "/big.bin");
      assertTrue(awaitInDir(() -> recordedBytes(control) >= 4L * CHUNK),
          "no progress recorded in " + control + "; server log:\n" + first.err());
      // Wait until the control file and its live record list every chunk the origin finished
      // sending: the kill then cuts only the chunks in flight, at most one per thread (the
      // core's guarantee also allows losing chunks finished while the live record was being
      // written; this wait takes that race out of the measurement).
      origin.freeze();
      assertTrue(awaitInDir(() -> recordedBytes(control) == origin.completedBytes("/big.bin")),
          "the recorded ranges did not catch up with " + origin.completedBytes("/big.bin")
              + " bytes sent");
      assertTrue(awaitInDir(() -> "big.bin".equals(storedFileName(bigId))),
          "the state file does not name the file");
      first.kill();
    }
    assertFalse(Files.exists(downloads.resolve("big.bin")), "no half file under the final name");
    List<long[]> onDisk = doneRanges(control);
    int firstRunRequests = origin.requests("/big.bin").size();
    long firstRunSent = origin.sentBytes("/big.bin");
    origin.thaw();

    try (ChildServer second = ChildServer.start(downloads, work);
        ProtocolClient client = second.connectApi()) {
      JsonNode restored = find(client.await("list").get("downloads"), bigId);
      String state = restored.get("state").asText();
      assertTrue(Set.of("queued", "probing", "downloading", "completed").contains(state), state);
      if (!state.equals("completed")) {
        if (!state.equals("downloading")) {
          client.awaitState(bigId, "downloading");
        }
        restored = client.awaitState(bigId, "completed");
      }
      JsonNode smallAfter = client.request("g", "{\"op\":\"get\",\"id\":\"" + smallId + "\"}")
          .get("download");

      assertEquals(Sha256.of(big), restored.get("sha256").asText());
      assertEquals(downloads.resolve("big.bin").toUri().toString(),
          restored.get("file").asText());
      assertEquals(Sha256.of(big), sha256(downloads.resolve("big.bin")));
      assertEquals("completed", smallAfter.get("state").asText());
      assertEquals(smallFile, smallAfter.get("file").asText());
      assertEquals(Sha256.of(small), smallAfter.get("sha256").asText());
      assertTrue(second.err().contains("download " + bigId + ": continuing"), second.err());
      assertEquals(Set.of("big.bin", "small.bin", ".rangefetch-state.json"), names(downloads));
    }
    long refetched = assertOnlyMissingRangesFetched(big.length, onDisk, firstRunRequests);
    System.out.println("CrashRestartTest: SIGKILL after " + bytes(onDisk) + " of " + big.length
        + " bytes recorded; asked for twice " + refetched + " bytes (bound " + THREADS * CHUNK
        + "); the origin sent " + (origin.sentBytes("/big.bin") - big.length)
        + " bytes more than the file (first run sent " + firstRunSent + ")");
  }

  @Test
  void pausedThenKilled_staysPausedAndResumeFetchesOnlyWhatIsMissing() throws Exception {
    byte[] big = slowFile("/big.bin", 2 * 1024 * 1024);
    Path control = downloads.resolve("big.bin.part.rangefetch");
    String id;
    try (ChildServer first = ChildServer.start(downloads, work);
        ProtocolClient client = first.connectApi()) {
      client.await("list");
      // Stopped in the middle of the chunks in flight, so that the pause cuts them.
      var frozen = origin.freezeAfterSent("/big.bin", 4L * CHUNK + 3L * THREADS * SLICE);
      id = add(client, "/big.bin");
      assertTrue(frozen.await(WAIT_SECONDS, TimeUnit.SECONDS),
          "the origin did not send enough; server log:\n" + first.err());
      origin.freeze();
      assertTrue(awaitInDir(() -> recordedBytes(control) == origin.completedBytes("/big.bin")));
      Object before = fileKey(control);
      long completed = origin.completedBytes("/big.bin");
      JsonNode paused = client.request("p", "{\"op\":\"pause\",\"id\":\"" + id + "\"}");
      assertEquals("paused", paused.get("download").get("state").asText());
      // The core rewrites the control file once its workers have stopped, cut chunks included.
      assertTrue(awaitInDir(() -> !Objects.equals(before, fileKey(control))),
          "the pause did not rewrite " + control);
      assertTrue(recordedBytes(control) > completed, "the pause records the cut chunks too: "
          + recordedBytes(control) + " bytes recorded, " + completed + " in whole chunks");
      first.kill();
    }
    List<long[]> onDisk = doneRanges(control);
    int firstRunRequests = origin.requests("/big.bin").size();
    origin.thaw();

    try (ChildServer second = ChildServer.start(downloads, work);
        ProtocolClient client = second.connectApi()) {
      JsonNode restored = find(client.await("list").get("downloads"), id);
      assertEquals("paused", restored.get("state").asText());
      assertEquals(firstRunRequests, origin.requests("/big.bin").size(), "paused stays paused");

      client.request("r", "{\"op\":\"resume\",\"id\":\"" + id + "\"}");
      JsonNode done = client.awaitState(id, "completed");

      assertEquals(Sha256.of(big), done.get("sha256").asText());
      assertEquals(downloads.resolve("big.bin").toUri().toString(), done.get("file").asText());
      assertEquals(Sha256.of(big), sha256(downloads.resolve("big.bin")));
      assertEquals(Set.of("big.bin", ".rangefetch-state.json"), names(downloads));
    }
    long refetched = assertOnlyMissingRangesFetched(big.length, onDisk, firstRunRequests);
    System.out.println("CrashRestartTest: paused at " + bytes(onDisk) + " of " + big.length
        + " bytes, killed, resumed; refetched " + refetched + " bytes");
  }

  @Test
  void partFileDeletedBetweenRuns_startsOverAndCompletes() throws Exception {
    byte[] big = slowFile("/big.bin", 2 * 1024 * 1024);
    String id = killMidway("/big.bin");
    Files.delete(downloads.resolve("big.bin.part"));

    assertStartsOverAndCompletes(id, big, "part file");
  }

  @Test
  void garbledControlFile_startsOverWithAWarningAndCompletes() throws Exception {
    byte[] big = slowFile("/big.bin", 2 * 1024 * 1024);
    String id = killMidway("/big.bin");
    Path control = downloads.resolve("big.bin.part.rangefetch");
    Files.writeString(control, Files.readString(control, java.nio.charset.StandardCharsets.ISO_8859_1)
        .replaceFirst("done=", "done=zz"), java.nio.charset.StandardCharsets.ISO_8859_1);

    assertStartsOverAndCompletes(id, big, "garbled");
  }

  @Test
  void truncatedControlFile_completesCorrectly() throws Exception {
    byte[] big = slowFile("/big.bin", 2 * 1024 * 1024);
    String id = killMidway("/big.bin");
    Path control = downloads.resolve("big.bin.part.rangefetch");
    byte[] whole = Files.readAllBytes(control);
    Files.write(control, java.util.Arrays.copyOf(whole, whole.length / 2));

    try (ChildServer second = ChildServer.start(downloads, work);
        ProtocolClient client = second.connectApi()) {
      JsonNode done = awaitCompleted(client, id);

      assertEquals(Sha256.of(big), done.get("sha256").asText());
      assertEquals(downloads.resolve("big.bin").toUri().toString(), done.get("file").asText());
      assertEquals(Sha256.of(big), sha256(downloads.resolve("big.bin")));
      assertEquals(Set.of("big.bin", ".rangefetch-state.json"), names(downloads));
    }
  }

  @Test
  void remoteFileChangedBetweenRuns_startsOverWithTheNewContent() throws Exception {
    slowFile("/big.bin", 2 * 1024 * 1024);
    String id = killMidway("/big.bin");
    byte[] changed = origin.change("/big.bin");

    assertStartsOverAndCompletes(id, changed, "changed on the server");
  }

  @Test
  void pausedDuringTheProbeThenKilled_resumesFromZeroAfterTheRestart() throws Exception {
    byte[] content = origin.file("/p.bin", 300_000);
    var reached = origin.holdHeaders("/p.bin");
    String id;
    try (ChildServer first = ChildServer.start(downloads, work);
        ProtocolClient client = first.connectApi()) {
      client.await("list");
      id = add(client, "/p.bin");
      assertTrue(reached.await(WAIT_SECONDS, TimeUnit.SECONDS), "the probe did not arrive");
      JsonNode paused = client.request("p", "{\"op\":\"pause\",\"id\":\"" + id + "\"}");
      assertEquals("paused", paused.get("download").get("state").asText());
      first.kill();
    }
    origin.releaseHeaders("/p.bin");

    try (ChildServer second = ChildServer.start(downloads, work);
        ProtocolClient client = second.connectApi()) {
      assertEquals("paused", find(client.await("list").get("downloads"), id)
          .get("state").asText());

      client.request("r", "{\"op\":\"resume\",\"id\":\"" + id + "\"}");
      JsonNode done = client.awaitState(id, "completed");

      assertEquals(Sha256.of(content), done.get("sha256").asText());
      assertEquals(downloads.resolve("p.bin").toUri().toString(), done.get("file").asText());
      assertEquals(Set.of("p.bin", ".rangefetch-state.json"), names(downloads));
    }
  }

  // ---- helpers ----

  private byte[] slowFile(String path, int size) {
    byte[] content = origin.file(path, size);
    origin.throttle(path, SLICE, SLICE_PAUSE);
    return content;
  }

  /**
   * Adds {@code path} in a first server, waits until a chunk is recorded (the origin stops once
   * it has sent one), kills the server.
   */
  private String killMidway(String path) throws Exception {
    Path control = downloads.resolve(path.substring(1) + ".part.rangefetch");
    try (ChildServer first = ChildServer.start(downloads, work);
        ProtocolClient client = first.connectApi()) {
      client.await("list");
      origin.freezeAfter(path, CHUNK);
      String id = add(client, path);
      assertTrue(awaitInDir(() -> recordedBytes(control) >= CHUNK
          && path.substring(1).equals(storedFileName(id))),
          "no progress recorded; server log:\n" + first.err());
      first.kill();
      origin.thaw();
      return id;
    }
  }

  /**
   * Starts the server again and checks that the download completes by itself with
   * {@code content}, under the same name, after logging a warning containing {@code why}, and
   * that the whole file was asked for again.
   */
  private void assertStartsOverAndCompletes(String id, byte[] content, String why)
      throws Exception {
    int firstRunRequests = origin.requests("/big.bin").size();
    try (ChildServer second = ChildServer.start(downloads, work);
        ProtocolClient client = second.connectApi()) {
      JsonNode done = awaitCompleted(client, id);

      assertEquals(Sha256.of(content), done.get("sha256").asText());
      assertEquals(downloads.resolve("big.bin").toUri().toString(), done.get("file").asText());
      assertEquals(Sha256.of(content), sha256(downloads.resolve("big.bin")));
      assertEquals(Set.of("big.bin", ".rangefetch-state.json"), names(downloads));
      assertTrue(second.err().lines().anyMatch(line -> line.contains("WARN")
          && line.contains(why) && line.contains("over")), second.err());
      assertFalse(second.err().contains("continuing"), second.err());
    }
    List<Exchange> again = origin.requests("/big.bin");
    long asked = 0;
    for (Exchange seen : again.subList(firstRunRequests, again.size())) {
      long[] span = span(seen, content.length);
      asked += span[1] - span[0] + 1;
    }
    assertTrue(asked >= content.length, "the whole file is asked for again: " + asked);
  }

  private JsonNode awaitCompleted(ProtocolClient client, String id) throws Exception {
    JsonNode listed = find(client.await("list").get("downloads"), id);
    if (listed.get("state").asText().equals("completed")) {
      return listed;
    }
    return client.awaitState(id, "completed");
  }

  /**
   * Checks the second run's requests for {@code /big.bin}: after its first (the probe of chunk
   * 0, whose body the core drops when chunk 0 is on disk), none asks for a byte listed on disk,
   * and together they ask for exactly the rest; and across both runs at most one chunk per
   * thread is asked for twice.
   *
   * @return the bytes asked for twice
   */
  private long assertOnlyMissingRangesFetched(long size, List<long[]> onDisk,
      int firstRunRequests) {
    List<Exchange> all = origin.requests("/big.bin");
    long firstRun = 0;
    for (Exchange seen : all.subList(0, firstRunRequests)) {
      long[] span = span(seen, size);
      firstRun += span[1] - span[0] + 1;
    }
    List<Exchange> secondRun = all.subList(firstRunRequests, all.size());
    long[] probe = span(secondRun.get(0), size);
    boolean probeOnDisk = covered(onDisk, probe);
    long secondRunBytes = probeOnDisk ? 0 : probe[1] - probe[0] + 1;
    long probeRefetch = probeOnDisk ? 0 : overlap(onDisk, probe);
    for (Exchange seen : secondRun.subList(1, secondRun.size())) {
      long[] span = span(seen, size);
      assertEquals(0, overlap(onDisk, span), "the second run asked again for bytes on disk: "
          + seen.range() + "; on disk: " + describe(onDisk));
      secondRunBytes += span[1] - span[0] + 1;
    }
    assertEquals(size - bytes(onDisk) + probeRefetch, secondRunBytes,
        "the second run asks for exactly what is missing; requests: " + secondRun);
    long refetched = firstRun + secondRunBytes - size;
    assertTrue(refetched <= (long) THREADS * CHUNK, "refetched " + refetched
        + " bytes, more than one chunk per thread; requests: " + all);
    return refetched;
  }

  private String add(ProtocolClient client, String path) throws Exception {
    JsonNode reply = client.request("add" + path, "{\"op\":\"add\",\"url\":\"" + origin.uri(path)
        + "\",\"threads\":" + THREADS + ",\"chunkBytes\":" + CHUNK + "}");
    return reply.get("download").get("id").asText();
  }

  private static JsonNode find(JsonNode downloads, String id) {
    for (JsonNode d : downloads) {
      if (d.get("id").asText().equals(id)) {
        return d;
      }
    }
    throw new AssertionError("download " + id + " is not in the list " + downloads);
  }

  /**
   * Waits until {@code condition} holds, checking it again each time something in the download
   * directory is created or replaced; false after the wait.
   */
  private boolean awaitInDir(BooleanSupplier condition) throws Exception {
    return awaitInDir(downloads, condition);
  }

  /** Waits until {@code condition} holds, woken by every change in {@code dir}; false after 90 s. */
  static boolean awaitInDir(Path downloads, BooleanSupplier condition) throws Exception {
    return DirectoryWatch.await(downloads, Duration.ofSeconds(WAIT_SECONDS), condition);
  }

  /**
   * The ranges that a run after a kill (in this boot) finds recorded, sorted and merged: the
   * control file's {@code done} and the {@code written} ranges of the live record beside it.
   */
  static List<long[]> doneRanges(Path control) {
    Properties p = new Properties();
    try (InputStream in = Files.newInputStream(control)) {
      p.load(in);
    } catch (IOException | IllegalArgumentException e) {
      return List.of();
    }
    List<long[]> ranges = new ArrayList<>(parseRanges(p.getProperty("done", "")));
    Path live = control.resolveSibling(control.getFileName() + "-live");
    try {
      for (String line : Files.readAllLines(live, java.nio.charset.StandardCharsets.US_ASCII)) {
        if (line.startsWith("written=")) {
          ranges.addAll(parseRanges(line.substring("written=".length())));
        }
      }
    } catch (IOException e) {
      // No live record yet.
    }
    ranges.sort(java.util.Comparator.comparingLong(r -> r[0]));
    List<long[]> merged = new ArrayList<>();
    for (long[] r : ranges) {
      long[] last = merged.isEmpty() ? null : merged.get(merged.size() - 1);
      if (last != null && r[0] <= last[1] + 1) {
        last[1] = Math.max(last[1], r[1]);
      } else {
        merged.add(new long[] {r[0], r[1]});
      }
    }
    return merged;
  }

  private static List<long[]> parseRanges(String list) {
    List<long[]> ranges = new ArrayList<>();
    for (String range : list.isBlank() ? new String[0] : list.split(",")) {
      String[] ends = range.split("-");
      ranges.add(new long[] {Long.parseLong(ends[0]), Long.parseLong(ends[1])});
    }
    return ranges;
  }

  /** The file name the state file and its journal keep for download {@code id}, or null. */
  private String storedFileName(String id) {
    JsonNode status = StateOnDisk.status(downloads, id);
    return status == null ? null : status.path("fileName").asText(null);
  }

  static long recordedBytes(Path control) {
    return bytes(doneRanges(control));
  }

  private static long bytes(List<long[]> ranges) {
    return ranges.stream().mapToLong(r -> r[1] - r[0] + 1).sum();
  }

  private static long overlap(List<long[]> ranges, long[] span) {
    long shared = 0;
    for (long[] r : ranges) {
      long first = Math.max(r[0], span[0]);
      long last = Math.min(r[1], span[1]);
      if (first <= last) {
        shared += last - first + 1;
      }
    }
    return shared;
  }

  private static boolean covered(List<long[]> ranges, long[] span) {
    return overlap(ranges, span) == span[1] - span[0] + 1;
  }

  private static String describe(List<long[]> ranges) {
    return ranges.stream().map(r -> r[0] + "-" + r[1]).toList().toString();
  }

  /** The bytes a request asked for, within the file. */
  private static long[] span(Exchange seen, long size) {
    var m = java.util.regex.Pattern.compile("bytes=(\\d+)-(\\d*)").matcher(seen.range());
    if (!m.matches()) {
      return new long[] {0, size - 1};
    }
    long first = Long.parseLong(m.group(1));
    long last = m.group(2).isEmpty() ? size - 1 : Math.min(size - 1, Long.parseLong(m.group(2)));
    return new long[] {first, last};
  }

  static Object fileKey(Path file) {
    try {
      return Files.readAttributes(file, BasicFileAttributes.class).fileKey();
    } catch (IOException e) {
      return null;
    }
  }

  /** The files in {@code dir}, but the state journal, which comes and goes with compactions. */
  private static Set<String> names(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString())
          .filter(name -> !name.equals(StateOnDisk.JOURNAL))
          .collect(java.util.stream.Collectors.toSet());
    }
  }

  private static String sha256(Path file) throws Exception {
    return Sha256.of(Files.readAllBytes(file));
  }
}
