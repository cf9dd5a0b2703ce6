package io.rangefetch.internal;

import io.rangefetch.ByteRange;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.zip.CRC32C;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live record beside a part file: the ranges written to the part file, tagged with the id
 * of the boot that wrote them. It is never forced to disk. Like the bytes it lists, it lives in
 * the page cache, which outlives the process but not the machine: so a run after the process
 * died, in the same boot, may trust it, and a run after a reboot ignores it and continues from
 * the durable {@link ControlFile} alone. It is rewritten off the workers' path, one write at a
 * time; chunks that finish meanwhile go into the next. Thread-safe.
 *
 * <p>Format: ASCII lines {@code rangefetch-live-1}, {@code boot=<boot id>},
 * {@code written=<ranges first-last, comma-separated>}, then {@code crc32c=<8 hex digits>}, the
 * CRC32C of every byte before that line. The record ends at its first {@code crc32c} line. It
 * is rewritten in place, so a process that dies in the middle of a write leaves a mix of two
 * versions, whose checksum fails: that reads as no record at all.
 */
final class LiveRecord {
  private static final Logger LOG = LoggerFactory.getLogger(LiveRecord.class);
  private static final String FORMAT = "rangefetch-live-1";
  private static final String CHECKSUM = "\ncrc32c=";
  private static final long MAX_BYTES = 16 * 1024 * 1024;
  // "" where the system tells no boot id (not Linux): a record would then never be trusted.
  private static final String BOOT_ID = readBootId();

  private final Path path;
  private final SerialDrain writes;
  private final Object lock = new Object();
  // Guarded by lock: every range written, the content of the next record.
  private final RangeSet written;
  // Guarded by lock: chunks finished since the last write began.
  private final List<ByteRange> pending = new ArrayList<>();
  // Guarded by lock.
  private boolean closed;
  // Guarded by lock: opened on the first write, so a download that ends first creates no file.
  private @Nullable FileChannel channel;
  // Guarded by lock: the record on disk lists some range.
  private boolean listsAny;
  // Guarded by lock: warn about a failing disk once, not per chunk.
  private boolean warned;
  // The drain's: writes are one at a time, handed over under lock. The length of the
  // last record written; unknown at first, when an older, longer one may be there.
  private long lastLength = Long.MAX_VALUE;

  /**
   * @param onDisk the ranges already on disk when the download goes on; the first record lists
   *     them too
   * @param executor where the writes run
   */
  LiveRecord(Path target, RangeSet onDisk, Executor executor) {
    this.path = pathFor(target);
    this.written = onDisk.copy();
    this.writes = SerialDrain.immediate("live record of " + target, executor, this::writePending);
  }

  static Path pathFor(Path target) {
    return PartFileNames.live(target);
  }

  /** Whether this system tells boots apart, so that a live record can ever be trusted. */
  static boolean supported() {
    return !BOOT_ID.isEmpty();
  }

  /** Notes that {@code chunk} is written to the part file; a write of the record follows. */
  void completed(ByteRange chunk) {
    synchronized (lock) {
      if (closed || !supported()) {
        return;
      }
      pending.add(chunk);
    }
    writes.request();
  }

  // One at a time (the drain's): each write takes every chunk finished before it.
  private void writePending() {
    while (true) {
      FileChannel out;
      byte[] record;
      synchronized (lock) {
        if (closed || pending.isEmpty()) {
          return;
        }
        pending.forEach(written::add);
        pending.clear();
        record = encode(written);
        try {
          // Opened under the lock: once close() has run, no write creates the file again.
          out = open();
        } catch (IOException e) {
          warnOnce(e);
          return;
        }
      }
      boolean ok = write(out, record);
      synchronized (lock) {
        if (!ok) {
          return;
        }
        listsAny |= written.bytes() > 0;
      }
    }
  }

  // Called with lock held.
  private FileChannel open() throws IOException {
    FileChannel open = channel;
    if (open == null) {
      open = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          LinkOption.NOFOLLOW_LINKS);
      channel = open;
    }
    return open;
  }

  private boolean write(FileChannel out, byte[] record) {
    try {
      ByteBuffer buffer = ByteBuffer.wrap(record);
      long at = 0;
      while (buffer.hasRemaining()) {
        at += out.write(buffer, at);
      }
      // Only when shorter than before: ranges merge as gaps fill, and most writes grow.
      if (record.length < lastLength) {
        out.truncate(record.length);
      }
      lastLength = record.length;
      return true;
    } catch (IOException e) {
      synchronized (lock) {
        // Not when close() or discard() took the channel away under the write.
        if (!closed && channel == out) {
          warnOnce(e);
        }
      }
      return false;
    }
  }

  // Called with lock held.
  private void warnOnce(IOException e) {
    if (!warned) {
      warned = true;
      LOG.warn("could not write {} ({}); if the process dies, a new run continues from the last"
          + " checkpoint only", path, e.getMessage());
    }
  }

  /** Whether the record on disk lists any range, so that the part file is worth keeping. */
  boolean listsAny() {
    synchronized (lock) {
      return listsAny;
    }
  }

  /**
   * Deletes the record once a durable record lists everything it does (a pause, a close, a
   * failure that keeps the part file): a stopped download then leaves only its part and control
   * files. Chunks that finish later write it again, in full.
   */
  void discard() {
    FileChannel open;
    synchronized (lock) {
      pending.clear();
      listsAny = false;
      open = channel;
      channel = null;
      // Under the lock: a write that opens the file again comes after, with the full list.
      try {
        Files.deleteIfExists(path);
      } catch (IOException e) {
        LOG.warn("could not delete {}: {}", path, e.toString());
      }
    }
    closeQuietly(open);
  }

  /**
   * Takes no more chunks and closes the file; a write under way fails quietly. The file stays:
   * deleting it is {@link ControlFile#delete}'s.
   */
  void close() {
    FileChannel open;
    synchronized (lock) {
      closed = true;
      writes.close();
      pending.clear();
      open = channel;
      channel = null;
    }
    closeQuietly(open);
  }

  private static void closeQuietly(@Nullable FileChannel open) {
    if (open != null) {
      try {
        open.close();
      } catch (IOException e) {
        // Nothing to keep: the record was never meant to reach the disk.
      }
    }
  }

  private static byte[] encode(RangeSet written) {
    byte[] body = (FORMAT + "\nboot=" + BOOT_ID + "\nwritten=" + written.text() + "\n")
        .getBytes(StandardCharsets.US_ASCII);
    String checksum = "crc32c=" + checksum(body, body.length) + "\n";
    byte[] record = new byte[body.length + checksum.length()];
    System.arraycopy(body, 0, record, 0, body.length);
    System.arraycopy(checksum.getBytes(StandardCharsets.US_ASCII), 0, record, body.length,
        checksum.length());
    return record;
  }

  private static String checksum(byte[] bytes, int length) {
    CRC32C crc = new CRC32C();
    crc.update(bytes, 0, length);
    return String.format("%08x", crc.getValue());
  }

  /**
   * The ranges that the live record of {@code target} lists as written in this boot: none if
   * there is no record, if it was written before the last reboot (which may have lost the bytes
   * it lists), or if it is torn or garbled (logged).
   *
   * @param size the size of the file, which every range must lie within
   */
  static RangeSet writtenThisBoot(Path target, long size) {
    Path path = pathFor(target);
    if (!supported() || !path.toFile().exists()) {
      return new RangeSet(); // the usual case, told without an exception
    }
    String text;
    byte[] bytes;
    try {
      if (Files.size(path) > MAX_BYTES) {
        throw new IOException("larger than any live record rangefetch writes");
      }
      bytes = Files.readAllBytes(path);
      text = new String(bytes, StandardCharsets.ISO_8859_1);
    } catch (IOException e) {
      LOG.info("{} is unreadable ({}); continuing from the control file alone", path,
          e.getMessage());
      return new RangeSet();
    }
    try {
      int mark = text.indexOf(CHECKSUM);
      int end = mark < 0 ? -1 : text.indexOf('\n', mark + 1);
      if (end < 0 || !text.substring(mark + CHECKSUM.length(), end)
          .equals(checksum(bytes, mark + 1))) {
        throw new IllegalArgumentException("its checksum does not match: the process died while"
            + " writing it");
      }
      String[] lines = text.substring(0, mark).split("\n", -1);
      if (lines.length != 3 || !lines[0].equals(FORMAT) || !lines[1].startsWith("boot=")
          || !lines[2].startsWith("written=")) {
        throw new IllegalArgumentException("it is not a " + FORMAT + " record");
      }
      if (!lines[1].substring("boot=".length()).equals(BOOT_ID)) {
        LOG.info("{} was written before the last reboot, which may have lost what it lists;"
            + " continuing from the control file alone", path);
        return new RangeSet();
      }
      RangeSet ranges = RangeSet.parse(lines[2].substring("written=".length()));
      if (ranges.end() >= size) {
        throw new IllegalArgumentException("it lists bytes beyond the size " + size);
      }
      return ranges;
    } catch (RuntimeException e) {
      LOG.info("ignoring {}: {}; continuing from the control file alone", path, e.getMessage());
      return new RangeSet();
    }
  }

  private static String readBootId() {
    try {
      return Files.readString(Path.of("/proc/sys/kernel/random/boot_id"),
          StandardCharsets.US_ASCII).trim();
    } catch (IOException | RuntimeException e) {
      return "";
    }
  }
}
