package io.rangefetch.server.download;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rangefetch.Limits;
import io.rangefetch.server.StateOnDisk;
import io.rangefetch.server.protocol.AddCommand;
import io.rangefetch.server.protocol.StateFile;
import io.rangefetch.server.protocol.StoredDownload;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The state file and its journal: what a restart reads back after each kind of end. */
class DownloadStoreTest {
  @TempDir Path dir;
  private final DownloadRegistry registry = new DownloadRegistry();
  private DownloadStore store;

  @AfterEach
  void closeStore() {
    if (store != null) {
      store.close();
    }
  }

  @Test
  void changesAreReadBackFromTheJournalWithoutACompaction() throws Exception {
    store = started();
    ServerDownload a = added("http://127.0.0.1:1/a");
    ServerDownload b = added("http://127.0.0.1:1/b");
    a.fail("http_status", "gone");
    store.put(a);

    StateFile read = new DownloadStore(dir, new DownloadRegistry()).load();

    assertEquals(List.of("1", "2"), ids(read));
    assertEquals("failed", read.downloads().get(0).status().state());
    assertEquals("queued", read.downloads().get(1).status().state());
    assertEquals(3, read.nextId());
    assertTrue(Files.exists(dir.resolve(DownloadStore.JOURNAL_NAME)), "no journal was written");
    assertFalse(Files.readString(dir.resolve(DownloadStore.FILE_NAME)).contains("/b"),
        "a change rewrote the state file");
    assertEquals(b.stored(), read.downloads().get(1));
  }

  @Test
  void aRemovedDownloadStaysRemovedEvenIfALateChangeArrives() {
    store = started();
    ServerDownload a = added("http://127.0.0.1:1/a");
    added("http://127.0.0.1:1/b");
    registry.remove(a.id());
    store.removed(a.id());
    a.fail("http_status", "late");
    store.put(a); // a core event that raced with the remove

    assertEquals(List.of("2"), ids(new DownloadStore(dir, new DownloadRegistry()).load()));
  }

  @Test
  void aTornLastLineIsSkipped() throws Exception {
    store = started();
    added("http://127.0.0.1:1/a");
    // The process died in the middle of the next entry.
    Files.writeString(dir.resolve(DownloadStore.JOURNAL_NAME), "{\"seq\":2,\"nextId\":3,\"pu",
        StandardOpenOption.APPEND);

    StateFile read = new DownloadStore(dir, new DownloadRegistry()).load();

    assertEquals(List.of("1"), ids(read));
  }

  @Test
  void entriesTheStateFileAlreadyHoldsAreNotAppliedAgain() throws Exception {
    store = started();
    ServerDownload a = added("http://127.0.0.1:1/a");
    String queuedEntry = Files.readString(dir.resolve(DownloadStore.JOURNAL_NAME));
    a.fail("http_status", "gone");
    store.compact();
    // A crash between the state file's rename and the journal's deletion leaves the old entries.
    Files.writeString(dir.resolve(DownloadStore.JOURNAL_NAME), queuedEntry);

    StateFile read = new DownloadStore(dir, new DownloadRegistry()).load();

    assertEquals("failed", read.downloads().get(0).status().state());
  }

  @Test
  void theJournalIsFoldedIntoTheStateFileOnceItOutgrowsTheList() throws Exception {
    store = started();
    ServerDownload a = added("http://127.0.0.1:1/a");
    for (int i = 0; i < 3000; i++) {
      store.put(a);
    }

    store.awaitBackgroundCompactions();

    assertTrue(journalLines() < 3000, "the journal was never compacted: " + journalLines()
        + " lines");
    assertEquals(List.of("1"), ids(new DownloadStore(dir, new DownloadRegistry()).load()));
    assertEquals(1, StateOnDisk.downloads(dir).size());
  }

  @Test
  void aJournalThatCannotBeWrittenFallsBackToRewritingTheStateFile() throws Exception {
    store = started();
    // A directory in the journal's place: the append fails, as on a full or broken disk.
    Files.createDirectory(dir.resolve(DownloadStore.JOURNAL_NAME));
    ServerDownload a = added("http://127.0.0.1:1/a");
    assertFalse(Files.readString(dir.resolve(DownloadStore.FILE_NAME)).contains("/a"));
    store.put(a);

    assertEquals(List.of("1"), ids(new DownloadStore(dir, new DownloadRegistry()).load()));
    assertTrue(Files.readString(dir.resolve(DownloadStore.FILE_NAME)).contains("/a"));
  }

  @Test
  void aStateFileWithoutJournalSeqFromAnEarlierVersionIsRead() throws Exception {
    store = started();
    added("http://127.0.0.1:1/a");
    store.close();
    store = null;
    String old = Files.readString(dir.resolve(DownloadStore.FILE_NAME))
        .replaceFirst("\"journalSeq\":\\d+,", "");
    Files.writeString(dir.resolve(DownloadStore.FILE_NAME), old);
    Files.deleteIfExists(dir.resolve(DownloadStore.JOURNAL_NAME));

    assertEquals(List.of("1"), ids(new DownloadStore(dir, new DownloadRegistry()).load()));
  }

  @Test
  void anUnreadableStateFileIsSetAsideWithItsJournal() throws Exception {
    store = started();
    added("http://127.0.0.1:1/a");
    Files.writeString(dir.resolve(DownloadStore.FILE_NAME), "{not json");

    StateFile read = new DownloadStore(dir, new DownloadRegistry()).load();

    assertEquals(List.of(), read.downloads());
    try (Stream<Path> files = Files.list(dir)) {
      List<String> names = files.map(p -> p.getFileName().toString()).sorted().toList();
      assertEquals(2, names.size(), names.toString());
      assertTrue(names.get(0).startsWith(DownloadStore.JOURNAL_NAME + ".broken-"),
          names.toString());
      assertTrue(names.get(1).startsWith(DownloadStore.FILE_NAME + ".broken-"), names.toString());
    }
  }

  private DownloadStore started() {
    DownloadStore started = new DownloadStore(dir, registry);
    registry.restore(started.load().nextId(), List.of());
    started.compact();
    return started;
  }

  private ServerDownload added(String url) {
    ServerDownload d = new ServerDownload(registry.newId(), URI.create(url), AddCommand.of(url),
        Limits.defaults(), Instant.now());
    registry.add(d);
    store.put(d);
    return d;
  }

  private static List<String> ids(StateFile state) {
    return state.downloads().stream().map(StoredDownload::status).map(s -> s.id()).toList();
  }

  private long journalLines() {
    try {
      Path journal = dir.resolve(DownloadStore.JOURNAL_NAME);
      return Files.exists(journal)
          ? Files.readString(journal, StandardCharsets.UTF_8).lines().count() : 0;
    } catch (Exception e) {
      return Long.MAX_VALUE;
    }
  }
}
