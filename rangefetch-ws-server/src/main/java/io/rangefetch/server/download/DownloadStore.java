package io.rangefetch.server.download;

import io.rangefetch.internal.DaemonThreads;
import io.rangefetch.internal.SerialDrain;
import io.rangefetch.server.protocol.JournalEntry;
import io.rangefetch.server.protocol.Json;
import io.rangefetch.server.protocol.StateFile;
import io.rangefetch.server.protocol.StoredDownload;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's memory of its downloads across restarts: a state file with the whole list as of
 * the last compaction, and a journal beside it to which each change is appended as one JSON line.
 * A change costs one small write however long the list is; rewriting the whole list per change
 * made 1000 downloads quadratic (docs/benchmarks.md). The journal is folded into the state file
 * at start, at close, and whenever it has grown past twice the list.
 *
 * <p>Durability: an entry is in the file (the kernel's page cache) before {@link #put} returns,
 * so it survives a crash of the process. A background thread forces the journal to disk within
 * 20 ms, once for all the entries written meanwhile (group commit), so a power loss may lose the
 * last tens of milliseconds of changes but never an older one. A torn last line is skipped
 * when the journal is read. The state file is replaced atomically and durably: a temporary
 * file, forced, renamed, then the directory forced. Thread-safe.
 */
final class DownloadStore implements AutoCloseable {
  /** The name of the state file inside the download directory. */
  static final String FILE_NAME = ".rangefetch-state.json";
  /** The name of the journal inside the download directory. */
  static final String JOURNAL_NAME = ".rangefetch-state.journal";
  private static final Logger LOG = LoggerFactory.getLogger(DownloadStore.class);
  /**
   * How long entries wait to be forced to disk together: the bound on what a power loss may
   * take. Forcing after every entry cost a thousand small downloads a tenth of their CPU.
   */
  private static final long FORCE_DELAY_MILLIS = 20;
  /** How long the core's own steps wait to be recorded together ({@link #putSoon}). */
  private static final long COALESCE_MILLIS = 100;
  /** The journal is compacted once it has more entries than this or twice the list. */
  private static final int MIN_COMPACTION_ENTRIES = 1024;
  private static final byte[] NEWLINE = {'\n'};

  private final Path file;
  private final Path temp;
  private final Path journal;
  private final DownloadRegistry registry;
  // forces the journal, and compacts it when it has grown; one task at a time
  private final ScheduledExecutorService background = Executors.newSingleThreadScheduledExecutor(
      DaemonThreads.named("rangefetch-state-journal"));
  private final SerialDrain forces = SerialDrain.delayed("forcing the download list", background,
      background, Duration.ofMillis(FORCE_DELAY_MILLIS), this::forceJournal);
  // downloads left to putSoon() that no entry has taken along yet
  private final Set<ServerDownload> unsaved = ConcurrentHashMap.newKeySet();
  private final SerialDrain puts = SerialDrain.delayed("recording downloads", background,
      background, Duration.ofMillis(COALESCE_MILLIS), this::putUnsaved);
  // guarded by this: open while entries are appended, null after a compaction
  private @Nullable FileChannel out;
  // guarded by this: the sequence number of the last entry written
  private long seq;
  // guarded by this: entries in the journal now
  private int entries;
  // guarded by this: a compaction is queued on the background thread
  private boolean compactionQueued;
  // guarded by this: a write failed, so the journal may end in a torn entry; the next change
  // rewrites the state file instead
  private boolean broken;
  // guarded by this: the last compaction failed and was logged; the next failure is not
  private boolean compactionFailing;
  // guarded by this: set by close(); nothing is written after it
  private boolean sealed;

  /**
   * @param downloadDir where the state file and the journal are
   * @param registry the list that {@link #compact()} writes
   */
  DownloadStore(Path downloadDir, DownloadRegistry registry) {
    this.file = downloadDir.resolve(FILE_NAME);
    this.temp = downloadDir.resolve(FILE_NAME + ".tmp");
    this.journal = downloadDir.resolve(JOURNAL_NAME);
    this.registry = registry;
  }

  /**
   * Reads the state file and replays the journal over it.
   *
   * @return the list as of the last change written; empty if there is none. An unreadable state
   *     file is kept aside under a {@code .broken-<time>} name, its journal with it, and an empty
   *     list returned, so the server still starts. An unreadable journal line is skipped.
   */
  synchronized StateFile load() {
    StateFile base = readStateFile();
    Map<String, StoredDownload> byId = new LinkedHashMap<>();
    base.downloads().forEach(d -> byId.put(d.status().id(), d));
    long nextId = base.nextId();
    long last = base.journalSeq();
    String[] lines = readJournal();
    for (int i = 0; i < lines.length; i++) {
      if (lines[i].isBlank()) {
        continue;
      }
      JournalEntry entry;
      try {
        entry = Json.mapper().readValue(lines[i], JournalEntry.class);
      } catch (IOException | RuntimeException e) {
        if (i == lines.length - 1) {
          LOG.warn("the last change in {} was cut short (the server stopped while writing it);"
              + " ignoring it", journal);
        } else {
          LOG.error("skipping line {} of {}, which is not a journal entry: {}", i + 1, journal,
              e.getMessage());
        }
        continue;
      }
      if (entry.seq() <= base.journalSeq()) {
        continue; // already in the state file: a compaction stopped before emptying the journal
      }
      if (entry.put() != null) {
        byId.put(entry.put().status().id(), entry.put());
      } else if (entry.remove() != null) {
        byId.remove(entry.remove());
      }
      nextId = Math.max(nextId, entry.nextId());
      last = Math.max(last, entry.seq());
    }
    seq = last;
    List<StoredDownload> downloads = new ArrayList<>(byId.values());
    downloads.sort(Comparator.comparingLong(d -> idOrder(d.status().id())));
    return new StateFile(StateFile.VERSION, nextId, last, downloads);
  }

  /**
   * Appends the download's record as it is now, unless it has been taken off the list. The
   * record is taken under the store's lock, so entries of one download are in the order of its
   * changes.
   *
   * @param download the download that changed
   */
  synchronized void put(ServerDownload download) {
    if (sealed || !registry.contains(download)) {
      return; // removed meanwhile: a late record must not bring it back on the next start
    }
    append(new JournalEntry(seq + 1, registry.nextId(), download.stored(), null));
  }

  /**
   * Appends the download's record within {@link #COALESCE_MILLIS}, once for all its changes until
   * then: for steps a crash may lose without harm.
   *
   * @param download the download that changed
   */
  void putSoon(ServerDownload download) {
    unsaved.add(download);
    puts.request();
  }

  private void putUnsaved() {
    for (Iterator<ServerDownload> it = unsaved.iterator(); it.hasNext(); ) {
      ServerDownload next = it.next();
      it.remove();
      put(next);
    }
  }

  /**
   * Appends the removal of a download.
   *
   * @param id the id of the download taken off the list
   */
  synchronized void removed(String id) {
    if (!sealed) {
      append(new JournalEntry(seq + 1, registry.nextId(), null, id));
    }
  }

  /** Writes the whole list to the state file and empties the journal. */
  synchronized void compact() {
    if (sealed) {
      return;
    }
    compactionQueued = false;
    StateFile state = new StateFile(StateFile.VERSION, registry.nextId(), seq,
        registry.oldestFirst().stream().map(ServerDownload::stored).toList());
    try {
      writeStateFile(state);
    } catch (IOException e) {
      if (!compactionFailing) {
        LOG.error("cannot write the download list to {}: {}; downloads go on, but a restart may"
            + " not remember the latest changes; check free space and permissions", file,
            e.getMessage());
      }
      compactionFailing = true;
      return;
    }
    compactionFailing = false;
    closeJournal();
    try {
      Files.deleteIfExists(journal);
    } catch (IOException e) {
      // Harmless: its entries are all in the state file, and are skipped when it is read.
      LOG.warn("cannot delete {}: {}", journal, e.getMessage());
    }
    entries = 0;
    broken = false;
  }

  /**
   * Writes the whole list a last time and stops all writes: waits for a write in progress and
   * ignores later ones, so that nothing is written into the download directory after this.
   */
  @Override
  public void close() {
    synchronized (this) {
      compact();
      sealed = true;
      closeJournal();
    }
    background.shutdownNow();
  }

  // Called holding this.
  private void append(JournalEntry entry) {
    if (broken) {
      compact(); // the list now includes this change
      return;
    }
    try {
      FileChannel channel = out;
      if (channel == null) {
        boolean created = !Files.exists(journal);
        channel = FileChannel.open(journal, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.APPEND);
        out = channel;
        if (created) {
          forceDirectory(journal.getParent()); // else a power loss could lose the whole file
        }
      }
      long length = channel.size();
      ByteBuffer[] line = {ByteBuffer.wrap(Json.mapper().writeValueAsBytes(entry)),
          ByteBuffer.wrap(NEWLINE)};
      try {
        while (line[1].hasRemaining()) {
          channel.write(line);
        }
      } catch (IOException e) {
        truncateQuietly(channel, length);
        throw e;
      }
    } catch (IOException e) {
      broken = true;
      LOG.error("cannot append to the download list {}: {}; downloads go on, and the next change"
          + " rewrites the whole list; check free space and permissions", journal,
          e.getMessage());
      return;
    }
    seq = entry.seq();
    entries++;
    forceSoon();
    if (!compactionQueued && entries > Math.max(MIN_COMPACTION_ENTRIES, 2 * registry.size())) {
      compactionQueued = true;
      runInBackground(0, this::compact);
    }
  }

  /**
   * Waits until the work handed to the background thread so far without a delay (compactions)
   * has run. For tests, which must not sleep to see a compaction.
   */
  void awaitBackgroundCompactions() throws Exception {
    background.schedule(() -> { }, 0, TimeUnit.MILLISECONDS).get();
  }

  /**
   * Forces the journal on the background thread within {@link #FORCE_DELAY_MILLIS}; one force
   * covers all the entries written before it.
   */
  private void forceSoon() {
    forces.request();
  }

  private void forceJournal() {
    FileChannel channel;
    synchronized (this) {
      channel = out;
    }
    if (channel == null) {
      return; // compacted meanwhile: the state file was forced
    }
    try {
      // Not under the lock: entries are appended while the disk works.
      channel.force(false);
    } catch (ClosedChannelException e) {
      // Compacted meanwhile: the state file holds these entries and was forced.
    } catch (IOException e) {
      LOG.warn("cannot force the download list {} to disk: {}", journal, e.getMessage());
    }
  }

  private void runInBackground(long delayMillis, Runnable task) {
    try {
      background.schedule(task, delayMillis, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      // Closed: close() wrote the whole list.
    }
  }

  // Called holding this.
  private void closeJournal() {
    FileChannel channel = out;
    out = null;
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException e) {
        LOG.debug("cannot close {}: {}", journal, e.getMessage());
      }
    }
  }

  private StateFile readStateFile() {
    if (!Files.exists(file)) {
      return StateFile.empty();
    }
    try {
      return Json.mapper().readValue(file.toFile(), StateFile.class);
    } catch (IOException | RuntimeException e) {
      String suffix = ".broken-" + Instant.now().toEpochMilli();
      LOG.error("cannot read the download list {} ({}); moved it to {}{} and starting with an"
          + " empty list", file, e.getMessage(), file.getFileName(), suffix);
      moveAside(file, suffix);
      moveAside(journal, suffix); // its changes apply to the list that is gone
      return StateFile.empty();
    }
  }

  private String[] readJournal() {
    if (!Files.exists(journal)) {
      return new String[0];
    }
    try {
      // Decoded leniently: a torn multi-byte character spoils one line, not the file.
      return new String(Files.readAllBytes(journal), StandardCharsets.UTF_8).split("\n", -1);
    } catch (IOException e) {
      String suffix = ".broken-" + Instant.now().toEpochMilli();
      LOG.error("cannot read the changes to the download list in {} ({}); moved it to {}{}",
          journal, e.getMessage(), journal.getFileName(), suffix);
      moveAside(journal, suffix);
      return new String[0];
    }
  }

  private void writeStateFile(StateFile state) throws IOException {
    ByteBuffer bytes = ByteBuffer.wrap(Json.mapper().writeValueAsBytes(state));
    try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE,
        StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
      while (bytes.hasRemaining()) {
        channel.write(bytes);
      }
      channel.force(true);
    }
    try {
      Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
    }
    forceDirectory(file.getParent());
  }

  private static void moveAside(Path path, String suffix) {
    if (!Files.exists(path)) {
      return;
    }
    try {
      Files.move(path, path.resolveSibling(path.getFileName() + suffix));
    } catch (IOException e) {
      LOG.error("cannot move {} aside: {}", path, e.getMessage());
    }
  }

  private static void truncateQuietly(FileChannel channel, long length) {
    try {
      channel.truncate(length);
    } catch (IOException e) {
      LOG.debug("cannot cut the torn entry off the journal: {}", e.getMessage());
    }
  }

  /** Ids this server made are numbers, in the order of creation; others go last. */
  private static long idOrder(String id) {
    try {
      return Long.parseLong(id);
    } catch (NumberFormatException e) {
      return Long.MAX_VALUE;
    }
  }

  /** Makes a rename or a creation durable: on Linux a directory can be opened and forced. */
  private static void forceDirectory(@Nullable Path dir) {
    if (dir == null) {
      return; // a relative name without a directory: nothing to force
    }
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException e) {
      // Some platforms cannot open a directory; the rename is still atomic there.
    }
  }
}
