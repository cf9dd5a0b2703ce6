package io.rangefetch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rangefetch.testing.Exchange;
import io.rangefetch.testing.Outcome;
import io.rangefetch.testing.RangeDispatcher;
import io.rangefetch.testing.RecordingDownloadListener;
import io.rangefetch.testing.RecordingDownloadListener.Event;
import io.rangefetch.testing.SeededBytes;
import io.rangefetch.testing.Sha256;
import io.rangefetch.testing.TestDownloaders;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The scheduler against real servers: one slow connection among fast ones, responses shorter
 * than asked, requests sent ahead, a server that keeps none of them.
 */
class AdaptiveTransferTest extends ServedFileTest {
  private static final int THREADS = 4;
  private static final long CHUNK = 128 * 1024;

  private RangeDownloader downloader() {
    return TestDownloaders.newBuilder()
        .limits(Limits.newBuilder().maxThreads(THREADS).maxBytesPerThread(CHUNK).build())
        .readTimeout(Duration.ofSeconds(20))
        .build();
  }

  /** Downloads with {@code listener}; returns the last status seen, and the result. */
  private DownloadResult download(Path target, RecordingDownloadListener listener,
      AtomicReference<DownloadStatus> last) throws Exception {
    try (RangeDownloader downloader = downloader()) {
      DownloadHandle handle = downloader.start(DownloadRequest.newBuilder(uri(), target)
          .listener(listener).build());
      DownloadResult result = Outcome.of(handle).completed();
      last.set(handle.status());
      listener.awaitTerminal(Outcome.PATIENCE);
      return result;
    }
  }

  @Test
  void slowConnectionHandsItsTailToAFastOne() throws Exception {
    // given a server whose second connection is 80 KB/s while the others are not throttled:
    // alone, that connection needs more than a second and a half per chunk
    byte[] content = SeededBytes.of(24 * (int) CHUNK + 777, 21);
    RangeDispatcher files = serve(content).throttleConnection(1, 8 * 1024, Duration.ofMillis(100));
    Path target = dir.resolve("file.bin");
    RecordingDownloadListener listener = new RecordingDownloadListener();
    AtomicReference<DownloadStatus> status = new AtomicReference<>();

    // when
    download(target, listener, status);

    // then the file is right, the caps held, and the slow connection's work moved
    assertEquals(Sha256.of(content), Sha256.of(target));
    for (Exchange e : files.rangedExchanges()) {
      assertTrue(e.isSingleClosedRange() && e.last() - e.first() + 1 <= CHUNK,
          () -> "above the chunk cap: " + e);
    }
    assertTrue(files.maxInFlight() <= THREADS, () -> "in flight: " + files.maxInFlight());
    TransferStats transfer = status.get().transfer();
    assertTrue(transfer.steals() + transfer.races() >= 1, transfer::toString);
    assertTrue(!listener.named("chunkSplit").isEmpty() || !listener.named("chunkRaced").isEmpty(),
        listener.events()::toString);
    // bounded: the chunks, plus a few requests per steal, race or retry
    int chunks = (content.length + (int) CHUNK - 1) / (int) CHUNK;
    assertTrue(files.exchanges().size() <= chunks + 4 * THREADS,
        () -> files.exchanges().size() + " requests for " + chunks + " chunks: " + files.exchanges());
    assertChunkEventsPaired(listener);
  }

  @Test
  void shorterValidResponsesAreWrittenAndTheRestAskedForAgain() throws Exception {
    // given a server that answers every range with at most 50 000 bytes
    byte[] content = SeededBytes.of(6 * (int) CHUNK + 99, 22);
    RangeDispatcher files = serve(content).capResponses(50_000);
    Path target = dir.resolve("file.bin");
    RecordingDownloadListener listener = new RecordingDownloadListener();
    AtomicReference<DownloadStatus> status = new AtomicReference<>();

    // when
    download(target, listener, status);

    // then every byte came, each from a response that vouched for it, and no byte twice
    assertEquals(Sha256.of(content), Sha256.of(target));
    assertTrue(status.get().transfer().shortResponses() > 0, status.get()::toString);
    long served = files.exchanges().stream().mapToLong(Exchange::bytesServed).sum();
    assertEquals(content.length, served, "bytes served in all");
    assertTrue(!listener.named("chunkSplit").isEmpty(), listener.events()::toString);
    assertChunkEventsPaired(listener);
  }

  @Test
  void requestsAreSentAheadOnKeptAliveConnections() throws Exception {
    // given a server that keeps its connections
    byte[] content = SeededBytes.of(40 * (int) CHUNK, 23);
    RangeDispatcher files = serve(content);
    Path target = dir.resolve("file.bin");
    RecordingDownloadListener listener = new RecordingDownloadListener();
    AtomicReference<DownloadStatus> status = new AtomicReference<>();

    // when
    download(target, listener, status);

    // then requests went out ahead, on at most THREADS connections, and the file is right
    assertEquals(Sha256.of(content), Sha256.of(target));
    assertTrue(status.get().transfer().pipelined() > 0, status.get()::toString);
    long connections = files.exchanges().stream().mapToInt(Exchange::connectionIndex)
        .distinct().count();
    assertTrue(connections <= THREADS, () -> connections + " connections");
    assertEquals(content.length, files.bytesServed(), "each byte served once");
    assertChunkEventsPaired(listener);
  }

  @Test
  void serverThatClosesAfterEachResponseStillGivesTheWholeFile() throws Exception {
    // given a server that closes every connection after one response, without saying so
    byte[] content = SeededBytes.of(12 * (int) CHUNK + 5, 24);
    serve(content).closeAfterEachResponse();
    Path target = dir.resolve("file.bin");
    RecordingDownloadListener listener = new RecordingDownloadListener();
    AtomicReference<DownloadStatus> status = new AtomicReference<>();

    // when
    download(target, listener, status);

    // then requests sent ahead were asked again on new connections, and the file is right
    assertEquals(Sha256.of(content), Sha256.of(target));
    assertChunkEventsPaired(listener);
  }

  /** Every chunkStart has exactly one chunkEnd or chunkFailed for the same range. */
  private static void assertChunkEventsPaired(RecordingDownloadListener listener) {
    Map<ByteRange, Integer> open = new HashMap<>();
    List<Event> events = listener.events();
    for (Event e : events) {
      switch (e.name()) {
        case "chunkStart" -> open.merge(e.range(), 1, Integer::sum);
        case "chunkEnd", "chunkFailed" -> {
          Integer n = open.get(e.range());
          assertTrue(n != null && n > 0, () -> e + " without a chunkStart: " + events);
          open.put(e.range(), n - 1);
        }
        default -> { }
      }
    }
    open.values().removeIf(n -> n == 0);
    assertTrue(open.isEmpty(), () -> "never ended: " + open + " in " + events);
  }
}
