package io.rangefetch;

import static io.rangefetch.testing.RangeDispatcher.anyRequest;
import static io.rangefetch.testing.RangeDispatcher.rangeStartingAt;
import static io.rangefetch.testing.TestDownloaders.CHUNK;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rangefetch.testing.Fault;
import io.rangefetch.testing.Outcome;
import io.rangefetch.testing.RecordingDownloadListener;
import io.rangefetch.testing.RecordingDownloadListener.Event;
import io.rangefetch.testing.SeededBytes;
import io.rangefetch.testing.Sha256;
import io.rangefetch.testing.TestDownloaders;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/** The order, pairing, isolation and threading that DownloadListener documents. */
class ListenerContractTest extends ServedFileTest {
  private static final byte[] CONTENT = SeededBytes.of(300 * 1024, 10);

  private DownloadRequest.Builder request() {
    return DownloadRequest.newBuilder(uri(), dir.resolve("file.bin"));
  }

  @Test
  void eventsOfAOneChunkDownloadComeInTheDocumentedOrder() throws Exception {
    // given a file smaller than one chunk
    byte[] small = SeededBytes.of(10 * 1024, 11);
    serve(small);
    RecordingDownloadListener listener = new RecordingDownloadListener();

    // when
    try (RangeDownloader downloader = TestDownloaders.newBuilder().build()) {
      Outcome.of(downloader.start(request().listener(listener).build())).completed();
      listener.awaitTerminal(Outcome.PATIENCE);
    }

    // then
    assertEquals(List.of("downloadQueued", "probeStart", "probeEnd", "chunkStart", "chunkEnd",
        "downloadEnd"), listener.namesWithoutProgress());
    assertEquals(1, listener.named("chunkStart").get(0).attempt());
    List<Event> progress = listener.named("progress");
    assertFalse(progress.isEmpty(), "no progress before downloadEnd");
    assertEquals(small.length, progress.get(progress.size() - 1).status().bytesDone(),
        "the last progress shows every byte");
  }

  @Test
  void failedProbeEndsWithoutProbeEnd() throws Exception {
    // given
    serve(CONTENT).always(Fault.status(404), anyRequest());
    RecordingDownloadListener listener = new RecordingDownloadListener();

    // when
    try (RangeDownloader downloader = TestDownloaders.newBuilder().build()) {
      Outcome.of(downloader.start(request().listener(listener).build())).failed();
      listener.awaitTerminal(Outcome.PATIENCE);
    }

    // then
    assertEquals(List.of("downloadQueued", "probeStart", "downloadFailed"),
        listener.namesWithoutProgress());
  }

  @Test
  void everyChunkStartHasExactlyOneChunkEndOrChunkFailed() throws Exception {
    // given faults that make chunks fail and retry
    serve(CONTENT)
        .inject(Fault.disconnectHalfway(), rangeStartingAt(CHUNK), 1)
        .inject(Fault.stall(), rangeStartingAt(2L * CHUNK), 1)
        .inject(Fault.status(503), rangeStartingAt(3L * CHUNK), 1);
    RecordingDownloadListener listener = new RecordingDownloadListener();

    // when
    try (RangeDownloader downloader = TestDownloaders.newBuilder().build()) {
      Outcome.of(downloader.start(request().listener(listener).build())).completed();
      listener.awaitTerminal(Outcome.PATIENCE);
    }

    // then each start is closed once, retries are announced, and a retry is attempt 2
    Map<ByteRange, Integer> open = new HashMap<>();
    for (Event e : listener.events()) {
      switch (e.name()) {
        case "chunkStart" -> assertEquals(null, open.put(e.range(), e.attempt()),
            () -> "second chunkStart before an end for " + e);
        case "chunkEnd", "chunkFailed" -> assertTrue(open.remove(e.range()) != null,
            () -> e + " without a chunkStart, events: " + listener.events());
        default -> { }
      }
    }
    assertTrue(open.isEmpty(), () -> "never ended: " + open);
    List<Event> failed = listener.named("chunkFailed");
    assertEquals(3, failed.size(), listener.events()::toString);
    assertTrue(failed.stream().allMatch(Event::willRetry), failed::toString);
    // each says why with a public reason; the 503 as an error status
    assertTrue(failed.stream().noneMatch(e -> e.cause().reason()
        == DownloadException.Reason.INTERRUPTED), failed::toString);
    assertEquals(1, failed.stream().filter(e -> e.cause().reason()
        == DownloadException.Reason.HTTP_STATUS && e.cause().statusCode() == 503).count(),
        failed::toString);
    assertEquals(3, listener.named("chunkStart").stream().filter(e -> e.attempt() == 2).count(),
        listener.events()::toString);
  }

  @Test
  void aListenerThatThrowsEverywhereDoesNotBreakTheDownload() throws Exception {
    // given a downloader listener that throws from every method
    serve(CONTENT);
    DownloadListener throwing = (DownloadListener) Proxy.newProxyInstance(
        getClass().getClassLoader(), new Class<?>[] {DownloadListener.class},
        (proxy, method, args) -> {
          if (method.getDeclaringClass() == Object.class) {
            return method.getName().equals("equals") ? proxy == args[0]
                : method.getName().equals("hashCode") ? System.identityHashCode(proxy)
                : "throwing listener";
          }
          throw new IllegalStateException("listener bug in " + method.getName());
        });
    RecordingDownloadListener after = new RecordingDownloadListener();

    // when
    try (RangeDownloader downloader = TestDownloaders.newBuilder().listener(throwing).build()) {
      DownloadResult result =
          Outcome.of(downloader.start(request().listener(after).build())).completed();

      // then the download and the next listener are unaffected
      assertEquals(Sha256.of(CONTENT), result.sha256());
      assertEquals(Sha256.of(CONTENT), Sha256.of(dir.resolve("file.bin")));
      assertEquals("downloadEnd", after.awaitTerminal(Outcome.PATIENCE).name());
      assertEquals("downloadQueued", after.names().get(0));
    }
  }

  @Test
  void callsForOneDownloadNeverOverlapEvenOnAPoolOfCallbackThreads() throws Exception {
    // given a slow multi-chunk download, a 4-thread callback executor, and frequent progress
    serve(CONTENT).throttle(8 * 1024, Duration.ofMillis(5))
        .inject(Fault.disconnectHalfway(), rangeStartingAt(CHUNK), 1);
    AtomicInteger inside = new AtomicInteger();
    AtomicInteger mostInside = new AtomicInteger();
    AtomicInteger calls = new AtomicInteger();
    RecordingDownloadListener recording = new RecordingDownloadListener();
    DownloadListener detector = (DownloadListener) Proxy.newProxyInstance(
        getClass().getClassLoader(), new Class<?>[] {DownloadListener.class},
        (proxy, method, args) -> {
          if (method.getDeclaringClass() == Object.class) {
            return method.getName().equals("equals") ? proxy == args[0]
                : method.getName().equals("hashCode") ? System.identityHashCode(proxy)
                : "overlap detector";
          }
          int now = inside.incrementAndGet();
          mostInside.accumulateAndGet(now, Math::max);
          calls.incrementAndGet();
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1)); // widen the window
          method.invoke(recording, args);
          inside.decrementAndGet();
          return null;
        });
    ExecutorService callbacks = Executors.newFixedThreadPool(4);

    // when
    try (RangeDownloader downloader = TestDownloaders.newBuilder().callbackExecutor(callbacks)
        .progressInterval(Duration.ofMillis(10)).build()) {
      Outcome.of(downloader.start(request().listener(detector).build())).completed();
      recording.awaitTerminal(Outcome.PATIENCE);
    } finally {
      callbacks.shutdown();
    }

    // then
    assertTrue(calls.get() > 10, () -> "only " + calls.get() + " calls");
    assertEquals(1, mostInside.get(), "listener calls overlapped");
    List<String> names = recording.names();
    assertEquals("downloadQueued", names.get(0));
    assertEquals("downloadEnd", names.get(names.size() - 1));
  }

  @Test
  void theDownloadersListenerHearsEachEventBeforeTheRequestsOwn() throws Exception {
    // given two listeners writing to one list
    serve(CONTENT);
    List<String> heard = new CopyOnWriteArrayList<>();
    RecordingDownloadListener last = new RecordingDownloadListener();
    DownloadListener first = new DownloadListener() {
      @Override
      public void chunkEnd(DownloadHandle download, ByteRange range) {
        heard.add("downloader " + range);
      }
    };
    DownloadListener second = new DownloadListener() {
      @Override
      public void chunkEnd(DownloadHandle download, ByteRange range) {
        heard.add("request " + range);
        last.chunkEnd(download, range);
      }

      @Override
      public void downloadEnd(DownloadHandle download, DownloadResult result) {
        last.downloadEnd(download, result);
      }
    };

    // when
    try (RangeDownloader downloader = TestDownloaders.newBuilder().listener(first).build()) {
      Outcome.of(downloader.start(request().listener(second).build())).completed();
      last.awaitTerminal(Outcome.PATIENCE);
    }

    // then
    assertTrue(heard.size() >= 10, heard::toString);
    for (int i = 0; i < heard.size(); i += 2) {
      String range = heard.get(i).substring("downloader ".length());
      assertEquals(List.of("downloader " + range, "request " + range), heard.subList(i, i + 2));
    }
  }

  @Test
  void downloadFailedCarriesTheExceptionOfTheResult() throws Exception {
    // given
    serve(CONTENT).always(Fault.status(410), anyRequest());
    RecordingDownloadListener listener = new RecordingDownloadListener();

    // when
    DownloadException failure;
    try (RangeDownloader downloader = TestDownloaders.newBuilder().build()) {
      failure = Outcome.of(downloader.start(request().listener(listener).build())).failed();
    }

    // then
    Event failed = listener.await("downloadFailed", Outcome.PATIENCE);
    DownloadException told = (DownloadException) failed.args().get(0);
    assertEquals(failure.reason(), told.reason());
    assertEquals(failure.getMessage(), told.getMessage());
    assertEquals(410, told.statusCode());
  }
}
