package io.rangefetch.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.rangefetch.ByteRange;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a checkpoint due later becomes when the download stops first. A checkpoint forces the
 * part file and then writes the control file with what is done, so a control file that still
 * lists nothing shows that no checkpoint ran and nothing was forced.
 */
class CheckpointerTest {
  private static final Duration AN_HOUR = Duration.ofHours(1);
  private static final ByteRange FIRST_CHUNK = new ByteRange(0, 999);
  // Checkpoints run on the caller's thread: whatever is recorded is on disk when a call returns.
  private static final Executor DIRECT = Runnable::run;

  @TempDir Path dir;
  private final ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1);
  private Path target;
  private PartFile part;

  @BeforeEach
  void createPartFile() throws Exception {
    timer.setRemoveOnCancelPolicy(true);
    target = dir.resolve("a.bin");
    part = PartFile.create(target);
  }

  @AfterEach
  void stop() {
    part.close();
    timer.shutdownNow();
  }

  private Checkpointer checkpointer(Duration interval) {
    ControlFile header = new ControlFile("http://example.org/a.bin", "http://example.org/a.bin",
        4000, "\"v1\"", "", 1000, List.of());
    return new Checkpointer(target, part, header, new RangeSet(), DIRECT, timer, interval);
  }

  private List<ByteRange> recorded() {
    return ControlFile.read(target).orElseThrow().done();
  }

  @Test
  void aDownloadThatEndsWithinTheIntervalForcesNothing() {
    // given a chunk finished, its checkpoint due in an hour
    Checkpointer checkpointer = checkpointer(AN_HOUR);
    checkpointer.claim();
    checkpointer.completed(FIRST_CHUNK);
    assertEquals(1, timer.getQueue().size(), "a checkpoint is due");

    // when the download completes
    checkpointer.close();

    // then the due checkpoint is gone, and none ran
    assertEquals(0, timer.getQueue().size(), "the due checkpoint is dropped");
    assertEquals(List.of(), recorded());
  }

  @Test
  void recordNowWritesAtOnceAndTakesThePlaceOfTheDueCheckpoint() {
    // given a chunk finished, its checkpoint due in an hour
    Checkpointer checkpointer = checkpointer(AN_HOUR);
    checkpointer.claim();
    checkpointer.completed(FIRST_CHUNK);

    // when paused
    checkpointer.recordNow(RangeSet.of(List.of(new ByteRange(0, 1499))));

    // then
    assertEquals(List.of(new ByteRange(0, 1499)), recorded());
    assertEquals(0, timer.getQueue().size(), "the due checkpoint is dropped");
  }

  @Test
  void aFinishedChunkIsListedInTheLiveRecordLongBeforeItsCheckpoint() {
    assumeTrue(LiveRecord.supported(), "the system tells no boot id: no live record");
    // given a checkpoint due in an hour
    Checkpointer checkpointer = checkpointer(AN_HOUR);
    checkpointer.claim();

    // when a chunk finishes
    checkpointer.completed(FIRST_CHUNK);

    // then the live record lists it, the control file not yet, and the part file is worth
    // keeping
    assertEquals(List.of(FIRST_CHUNK), LiveRecord.writtenThisBoot(target, 4000).list());
    assertEquals(List.of(), recorded());
    assertTrue(checkpointer.hasRecorded());
  }

  @Test
  void deletingTheControlFileDeletesTheLiveRecord() {
    assumeTrue(LiveRecord.supported(), "the system tells no boot id: no live record");
    // given
    Checkpointer checkpointer = checkpointer(AN_HOUR);
    checkpointer.claim();
    checkpointer.completed(FIRST_CHUNK);
    assertTrue(Files.exists(LiveRecord.pathFor(target)));

    // when the download completes
    checkpointer.close();
    ControlFile.delete(target);

    // then
    assertFalse(Files.exists(LiveRecord.pathFor(target)));
    assertFalse(Files.exists(ControlFile.pathFor(target)));
  }

  @Test
  void zeroIntervalRecordsAChunkAsSoonAsItFinishes() {
    Checkpointer checkpointer = checkpointer(Duration.ZERO);

    checkpointer.completed(FIRST_CHUNK);

    assertEquals(List.of(FIRST_CHUNK), recorded());
    assertEquals(0, timer.getQueue().size(), "nothing waits on the timer");
  }
}
