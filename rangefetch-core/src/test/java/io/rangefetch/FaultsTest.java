package io.rangefetch;

import static io.rangefetch.testing.RangeDispatcher.anyRequest;
import static io.rangefetch.testing.RangeDispatcher.rangeStartingAt;
import static io.rangefetch.testing.RangeDispatcher.rangeStartingWithin;
import static io.rangefetch.testing.TestDownloaders.CHUNK;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rangefetch.DownloadException.Reason;
import io.rangefetch.testing.Exchange;
import io.rangefetch.testing.Fault;
import io.rangefetch.testing.Outcome;
import io.rangefetch.testing.RangeDispatcher;
import io.rangefetch.testing.SeededBytes;
import io.rangefetch.testing.Sha256;
import io.rangefetch.testing.TestDownloaders;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Faults are survived, and never leave wrong bytes in a file. */
class FaultsTest extends ServedFileTest {
  private static final byte[] CONTENT = SeededBytes.of(300 * 1024, 4);
  private static final long SECOND_CHUNK = CHUNK;
  private static final long THIRD_CHUNK = 2L * CHUNK;

  private RangeDispatcher files;
  private Path target;

  @BeforeEach
  void serveContent() {
    files = serve(CONTENT);
    target = dir.resolve("file.bin");
  }

  private Outcome<DownloadResult> download(RangeDownloader.Builder builder) {
    try (RangeDownloader downloader = builder.build()) {
      return Outcome.of(downloader.start(DownloadRequest.newBuilder(uri(), target).build()));
    }
  }

  private List<Exchange> requestsStartingWithin(long from, long to) {
    return files.rangedExchanges().stream()
        .filter(e -> e.first() >= from && e.first() <= to).toList();
  }

  /** A success must be the right file; a failure must leave no file under the final name. */
  private void assertRightFileOrFailure(Outcome<DownloadResult> outcome, Set<Reason> reasons) {
    if (outcome.succeeded()) {
      assertEquals(Sha256.of(CONTENT), Sha256.of(target), "the file has wrong bytes");
      assertEquals(Sha256.of(CONTENT), outcome.result().sha256());
    } else {
      DownloadException failure = outcome.failed();
      assertTrue(reasons.contains(failure.reason()), () -> "reason " + failure.reason()
          + " not in " + reasons + ": " + failure.getMessage());
      assertFalse(Files.exists(target), "a failed download left a file under the final name");
    }
  }

  @Test
  void brokenConnectionResumesFromTheFirstMissingByte() {
    // given the second chunk breaks after half its bytes, the first time
    files.inject(Fault.disconnectHalfway(), rangeStartingAt(SECOND_CHUNK), 1);

    // when
    DownloadResult result = download(TestDownloaders.newBuilder()).completed();

    // then the retry asks only for the missing half, and no byte is served twice
    List<Exchange> second = requestsStartingWithin(SECOND_CHUNK, THIRD_CHUNK - 1);
    assertEquals(2, second.size(), files.exchanges()::toString);
    assertEquals("bytes=" + (SECOND_CHUNK + CHUNK / 2) + "-" + (THIRD_CHUNK - 1),
        second.get(1).range());
    assertEquals(CONTENT.length, files.bytesServed(), files.exchanges()::toString);
    assertEquals(Sha256.of(CONTENT), Sha256.of(target));
    assertEquals(Sha256.of(CONTENT), result.sha256());
  }

  @Test
  void brokenFirstResponseResumesFromTheFirstMissingByte() {
    // given the first request, which doubles as the probe, breaks after half its bytes
    files.inject(Fault.disconnectHalfway(), rangeStartingAt(0), 1);

    // when
    download(TestDownloaders.newBuilder()).completed();

    // then
    List<Exchange> first = requestsStartingWithin(0, SECOND_CHUNK - 1);
    assertEquals(2, first.size(), files.exchanges()::toString);
    assertEquals("bytes=" + (CHUNK / 2) + "-" + (CHUNK - 1), first.get(1).range());
    assertEquals(Sha256.of(CONTENT), Sha256.of(target));
  }

  @Test
  void stalledResponseTimesOutAndIsRetried() {
    // given the third chunk sends headers and then nothing, the first time
    files.inject(Fault.stall(), rangeStartingAt(THIRD_CHUNK), 1);

    // when (read timeout 700 ms)
    download(TestDownloaders.newBuilder()).completed();

    // then
    assertEquals(2, requestsStartingWithin(THIRD_CHUNK, THIRD_CHUNK).size(),
        files.exchanges()::toString);
    assertEquals(Sha256.of(CONTENT), Sha256.of(target));
  }

  @Test
  void serviceUnavailableWithRetryAfterIsRetriedAfterTheWait() {
    // given the first request gets 503 with Retry-After: 1, once
    files.inject(Fault.status(503, "Retry-After: 1"), anyRequest(), 1);

    // when (the back-off alone would be at most 50 ms)
    download(TestDownloaders.newBuilder()).completed();

    // then the second request came no sooner than the server asked
    List<Exchange> requests = files.exchanges();
    assertEquals(503, requests.get(0).status());
    long waitedMillis = (requests.get(1).arrivalNanos() - requests.get(0).arrivalNanos()) / 1_000_000;
    assertTrue(waitedMillis >= 900, () -> "retried after " + waitedMillis + " ms, not after 1 s");
    assertEquals(Sha256.of(CONTENT), Sha256.of(target));
  }

  @Test
  void tooManyRequestsOnAChunkIsRetriedAfterTheWait() {
    // given the second chunk gets 429 with Retry-After: 1, twice
    files.inject(Fault.status(429, "Retry-After: 1"), rangeStartingAt(SECOND_CHUNK), 2);

    // when
    download(TestDownloaders.newBuilder()).completed();

    // then
    List<Exchange> second = requestsStartingWithin(SECOND_CHUNK, SECOND_CHUNK);
    assertEquals(List.of(429, 429, 206), second.stream().map(Exchange::status).toList());
    for (int i = 1; i < second.size(); i++) {
      long waitedMillis = (second.get(i).arrivalNanos() - second.get(i - 1).arrivalNanos()) / 1_000_000;
      assertTrue(waitedMillis >= 900, () -> "retried after " + waitedMillis + " ms, not after 1 s");
    }
    assertEquals(Sha256.of(CONTENT), Sha256.of(target));
  }

  @Test
  void retriesAreBoundedByMaxAttemptsPerChunk() {
    // given the second chunk always gets 503
    files.always(Fault.status(503), rangeStartingWithin(SECOND_CHUNK, THIRD_CHUNK - 1));

    // when
    DownloadException failure =
        download(TestDownloaders.newBuilder().maxAttemptsPerChunk(3)).failed();

    // then exactly 3 attempts were made, and the message names the status
    assertEquals(3, requestsStartingWithin(SECOND_CHUNK, THIRD_CHUNK - 1).size(),
        files.exchanges()::toString);
    assertEquals(Reason.HTTP_STATUS, failure.reason(), failure::getMessage);
    assertTrue(failure.getMessage().contains("503"), failure::getMessage);
  }

  @Test
  void responseThatAlwaysStallsFailsWithTimeoutAfterMaxAttempts() {
    // given the third chunk always stalls
    files.always(Fault.stall(), rangeStartingWithin(THIRD_CHUNK, THIRD_CHUNK + CHUNK - 1));

    // when
    DownloadException failure =
        download(TestDownloaders.newBuilder().maxAttemptsPerChunk(2)).failed();

    // then
    assertEquals(Reason.TIMEOUT, failure.reason(), failure::getMessage);
    assertEquals(2, requestsStartingWithin(THIRD_CHUNK, THIRD_CHUNK + CHUNK - 1).size(),
        files.exchanges()::toString);
  }

  @Test
  void shiftedContentRangeIsNeverWrittenAtTheWrongOffset() {
    // given the second chunk is always answered with the bytes 1000 further on, labelled so
    files.always(Fault.shiftedContentRange(1000), rangeStartingWithin(SECOND_CHUNK, THIRD_CHUNK - 1));

    // when
    Outcome<DownloadResult> outcome = download(TestDownloaders.newBuilder());

    // then
    assertRightFileOrFailure(outcome, Set.of(Reason.SERVER_MISBEHAVED));
  }

  @Test
  void contentRangeWithAnotherTotalIsNeverAccepted() {
    // given every range after the first claims a total 1000 bytes larger
    files.always(Fault.wrongTotal(), rangeStartingWithin(1, CONTENT.length));

    // when
    Outcome<DownloadResult> outcome = download(TestDownloaders.newBuilder());

    // then (another total may fairly be read as a changed file)
    assertRightFileOrFailure(outcome, Set.of(Reason.SERVER_MISBEHAVED, Reason.RESOURCE_CHANGED));
  }

  @Test
  void shortBodyIsNotAcceptedAsComplete() {
    // given the second chunk's 206 claims the whole range but carries half of it, once
    files.inject(Fault.shortBody(), rangeStartingAt(SECOND_CHUNK), 1);

    // when
    DownloadResult result = download(TestDownloaders.newBuilder()).completed();

    // then the missing half was asked for again, and the file is right
    long half = SECOND_CHUNK + CHUNK / 2;
    List<Exchange> second = requestsStartingWithin(SECOND_CHUNK, THIRD_CHUNK - 1);
    assertTrue(second.size() >= 2 && second.get(1).first() <= half
        && second.get(1).last() == THIRD_CHUNK - 1, files.exchanges()::toString);
    assertEquals(Sha256.of(CONTENT), Sha256.of(target));
    assertEquals(Sha256.of(CONTENT), result.sha256());
  }

  @Test
  void shortBodyEveryTimeFailsClearlyAndLeavesNoFile() {
    // given the second chunk's 206 always carries half of what it claims
    files.always(Fault.shortBody(), rangeStartingWithin(SECOND_CHUNK, THIRD_CHUNK - 1));

    // when
    DownloadException failure =
        download(TestDownloaders.newBuilder().maxAttemptsPerChunk(2)).failed();

    // then
    assertEquals(Reason.SERVER_MISBEHAVED, failure.reason(), failure::getMessage);
    assertFalse(Files.exists(target), "a failed download left a file under the final name");
  }

  @Test
  void wholeBodyAnsweredToALaterRangeIsNeverWrittenAtItsOffset() {
    // given the third chunk is answered with 200 and the whole file, once
    files.inject(Fault.wholeBody200(), rangeStartingAt(THIRD_CHUNK), 1);

    // when
    Outcome<DownloadResult> outcome = download(TestDownloaders.newBuilder());

    // then
    assertRightFileOrFailure(outcome, Set.of(Reason.SERVER_MISBEHAVED));
  }

  @Test
  void wholeBodyAlwaysAnsweredToALaterRangeIsMisbehaviourNotAChange() {
    // given the third chunk is always answered with 200 and the whole file, same ETag
    files.always(Fault.wholeBody200(), rangeStartingAt(THIRD_CHUNK));

    // when
    Outcome<DownloadResult> outcome = download(TestDownloaders.newBuilder());

    // then the file did not change (same ETag, If-Range matched): it is the server that is wrong
    assertRightFileOrFailure(outcome, Set.of(Reason.SERVER_MISBEHAVED));
  }

  @Test
  void contentChangedMidDownloadEndsInTheNewFileOrResourceChanged() throws Exception {
    // given the file changes (new ETag) after the first two requests
    byte[] changed = SeededBytes.of(CONTENT.length, 99);
    files.changeContentAfter(2, changed);

    // when
    Outcome<DownloadResult> outcome = download(TestDownloaders.newBuilder());

    // then the file is the new version entirely, or the download says the file changed
    if (outcome.succeeded()) {
      assertArrayEquals(changed, Files.readAllBytes(target), "a mix of two versions");
      assertEquals(Sha256.of(changed), outcome.result().sha256());
    } else {
      DownloadException failure = outcome.failed();
      assertEquals(Reason.RESOURCE_CHANGED, failure.reason(), failure::getMessage);
      assertFalse(Files.exists(target), "a failed download left a file under the final name");
    }
  }

  @Test
  void faultsOnEveryChunkAtOnceStillGiveTheRightFile() {
    // given a break, a stall, a 503 and a short body on four different chunks, once each
    files.inject(Fault.disconnectHalfway(), rangeStartingAt(SECOND_CHUNK), 1)
        .inject(Fault.stall(), rangeStartingAt(THIRD_CHUNK), 1)
        .inject(Fault.status(503), rangeStartingAt(3L * CHUNK), 1)
        .inject(Fault.shortBody(), rangeStartingAt(4L * CHUNK), 1)
        .throttle(16 * 1024, Duration.ofMillis(5));

    // when
    DownloadResult result = download(TestDownloaders.newBuilder()).completed();

    // then
    assertEquals(Sha256.of(CONTENT), Sha256.of(target));
    assertEquals(Sha256.of(CONTENT), result.sha256());
  }

  @Test
  void contentChangedOnAServerIgnoringIfRangeIsStillNeverMixed() throws Exception {
    // given the file changes after two requests, and the server serves 206 whatever If-Range says
    byte[] changed = SeededBytes.of(CONTENT.length, 98);
    files.ignoreIfRange().changeContentAfter(2, changed);

    // when
    Outcome<DownloadResult> outcome = download(TestDownloaders.newBuilder());

    // then the new ETag on the 206 gives the change away
    assertNewVersionOrResourceChanged(outcome, changed);
  }

  @Test
  void contentChangedWithoutEtagIsDetectedByLastModified() throws Exception {
    // given a server without ETag whose Last-Modified changes after two requests
    byte[] changed = SeededBytes.of(CONTENT.length, 97);
    files.withoutEtag().changeContentAfter(2, changed);

    // when
    Outcome<DownloadResult> outcome = download(TestDownloaders.newBuilder());

    // then
    assertNewVersionOrResourceChanged(outcome, changed);
  }

  @Test
  void contentChangedToAnotherSizeEndsInTheNewFileOrResourceChanged() throws Exception {
    // given the file grows by 10000 bytes after two requests
    byte[] changed = SeededBytes.of(CONTENT.length + 10_000, 96);
    files.ignoreIfRange().changeContentAfter(2, changed);

    // when
    Outcome<DownloadResult> outcome = download(TestDownloaders.newBuilder());

    // then
    assertNewVersionOrResourceChanged(outcome, changed);
  }

  private void assertNewVersionOrResourceChanged(Outcome<DownloadResult> outcome, byte[] changed)
      throws Exception {
    if (outcome.succeeded()) {
      assertArrayEquals(changed, Files.readAllBytes(target), "not the new version entirely");
      assertEquals(Sha256.of(changed), outcome.result().sha256());
      assertEquals(changed.length, outcome.result().size());
    } else {
      DownloadException failure = outcome.failed();
      assertEquals(Reason.RESOURCE_CHANGED, failure.reason(), failure::getMessage);
      assertFalse(Files.exists(target), "a failed download left a file under the final name");
    }
  }

  @Test
  void retryAfterAsAnHttpDateIsHonoured() {
    // given the first request gets 503 with Retry-After two seconds from now, as an HTTP date
    String inTwoSeconds = DateTimeFormatter.RFC_1123_DATE_TIME
        .format(ZonedDateTime.now(ZoneOffset.UTC).plusSeconds(2));
    files.inject(Fault.status(503, "Retry-After: " + inTwoSeconds), anyRequest(), 1);

    // when
    download(TestDownloaders.newBuilder()).completed();

    // then
    List<Exchange> requests = files.exchanges();
    long waitedMillis = (requests.get(1).arrivalNanos() - requests.get(0).arrivalNanos()) / 1_000_000;
    assertTrue(waitedMillis >= 900, () -> "retried after " + waitedMillis + " ms");
    assertEquals(Sha256.of(CONTENT), Sha256.of(target));
  }

  @Test
  void serverErrorOnTheFirstRequestIsRetriedAndBounded() {
    // given the first request always gets 500
    files.always(Fault.status(500), anyRequest());

    // when
    DownloadException failure =
        download(TestDownloaders.newBuilder().maxAttemptsPerChunk(3)).failed();

    // then
    assertEquals(Reason.HTTP_STATUS, failure.reason(), failure::getMessage);
    assertEquals(500, failure.statusCode());
    assertEquals(3, files.exchanges().size(), files.exchanges()::toString);
  }
}
