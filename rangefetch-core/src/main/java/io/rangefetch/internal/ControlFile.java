package io.rangefetch.internal;

import io.rangefetch.ByteRange;
import io.rangefetch.DownloadUrls;
import io.rangefetch.Probe;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control file beside a part file: what a later run needs to continue a download after the
 * process died. It is replaced atomically (temporary file, fsync, rename), so a crash leaves
 * either the old or the new version, and it lists only ranges whose bytes were forced to disk
 * before it was written. The first version, which lists nothing and only marks the part file as
 * this URL's, skips the fsync. What was written since the last checkpoint is in the
 * {@link LiveRecord} beside it, which only a run in the same boot trusts.
 *
 * <p>Format: a {@link Properties} text file, {@code format=rangefetch-control-1}, then
 * {@code url}, {@code finalUrl}, {@code size}, {@code etag}, {@code lastModified},
 * {@code chunkBytes} and {@code done} (sorted ranges {@code first-last}, comma-separated).
 * URLs are stored without credentials.
 *
 * @param url the requested URL, without credentials
 * @param finalUrl the URL after redirects
 * @param size the total size of the file
 * @param etag the ETag at the start, or ""
 * @param lastModified the Last-Modified at the start, or ""
 * @param chunkBytes the chunk size in force
 * @param done the ranges complete on disk
 */
record ControlFile(String url, String finalUrl, long size, String etag, String lastModified,
    long chunkBytes, List<ByteRange> done) {
  private static final String FORMAT = "rangefetch-control-1";
  private static final Logger LOG = LoggerFactory.getLogger(ControlFile.class);
  private static final long MAX_BYTES = 16 * 1024 * 1024;

  static Path pathFor(Path target) {
    return PartFileNames.control(target);
  }

  /** Reads the control file of {@code target}; empty if there is none or it is unreadable. */
  static Optional<ControlFile> read(Path target) {
    Path path = pathFor(target);
    if (!path.toFile().exists()) {
      return Optional.empty(); // the usual case, told without an exception
    }
    Properties p = new Properties();
    try (InputStream in = Files.newInputStream(path)) {
      if (Files.size(path) > MAX_BYTES) {
        LOG.warn("{} is larger than any control file rangefetch writes; ignoring it", path);
        return Optional.empty();
      }
      p.load(in);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException | IllegalArgumentException e) {
      LOG.warn("{} is unreadable ({}); the download starts over", path, e.getMessage());
      return Optional.empty();
    }
    try {
      if (!FORMAT.equals(p.getProperty("format"))) {
        throw new IllegalArgumentException("format is " + p.getProperty("format"));
      }
      List<ByteRange> done = RangeSet.parse(require(p, "done")).list();
      ControlFile file = new ControlFile(require(p, "url"), require(p, "finalUrl"),
          Long.parseLong(require(p, "size")), require(p, "etag"), require(p, "lastModified"),
          Long.parseLong(require(p, "chunkBytes")), List.copyOf(done));
      for (ByteRange range : done) {
        if (range.last() >= file.size()) {
          throw new IllegalArgumentException("range " + range + " lies beyond size " + file.size());
        }
      }
      return Optional.of(file);
    } catch (RuntimeException e) {
      LOG.warn("{} is garbled ({}); the download starts over", path, e.getMessage());
      return Optional.empty();
    }
  }

  /** The fixed fields for a download of {@code url} that {@code probe} described. */
  static ControlFile header(String url, Probe probe, long chunkBytes) {
    return new ControlFile(url, DownloadUrls.redact(probe.finalUri()).toString(), probe.size(),
        probe.etag(), probe.lastModified(), chunkBytes, List.of());
  }

  /**
   * Whether the control file beside {@code target} belongs to a download of {@code url} or of
   * {@code former}, the URL it had before it was replaced; null for none.
   */
  static boolean isFor(Path target, String url, @Nullable String former) {
    return read(target).map(c -> c.url().equals(url) || c.url().equals(former)).orElse(false);
  }

  /**
   * The ranges an earlier run of {@code url} left complete on disk for the version of the file
   * that {@code probe} describes, or null when there is nothing to continue: no control file,
   * or one that does not match (logged with the reason). Then the download starts over. The
   * ranges are those the control file lists as {@code done}, and, if the process died in this
   * boot, those its {@link LiveRecord} lists: the page cache kept them.
   *
   * @param ignored told why a control file that was there is not continued
   */
  static @Nullable RangeSet continuable(Path target, String url, @Nullable String former,
      Probe probe, String downloadId, Consumer<String> ignored) {
    ControlFile saved = read(target).orElse(null);
    if (saved == null) {
      return null;
    }
    Path partPath = PartFileNames.part(target);
    RangeSet done = RangeSet.of(saved.done());
    LiveRecord.writtenThisBoot(target, saved.size()).list().forEach(done::add);
    String mismatch;
    long partSize = -1;
    try {
      partSize = Files.size(partPath);
      mismatch = saved.url().equals(former) ? saved.replacedBy(url, probe, done, partSize)
          : saved.mismatch(url, probe, done, partSize);
    } catch (IOException e) {
      mismatch = "its part file " + partPath + " is missing";
    }
    if (mismatch != null) {
      LOG.warn("download {}: ignoring the control file of {}: {}; starting over", downloadId,
          target, mismatch);
      ignored.accept("the part file on disk was not continued: " + mismatch
          + "; the download started over");
      return null;
    }
    return done;
  }

  /**
   * Why the download of {@code requested}, which replaced this control file's URL, cannot
   * continue it: another file (length, or validators where both give them), or a short part.
   */
  private @Nullable String replacedBy(String requested, Probe probe, RangeSet done,
      long partSize) {
    String difference = SourceCheck.difference(new Validators(size, etag, lastModified), probe);
    if (difference != null) {
      return "it belongs to " + url + ", and the new URL " + requested + " serves another file ("
          + difference + ")";
    }
    return done.end() >= partSize
        ? "its part file is shorter (" + partSize + " bytes) than the ranges it lists" : null;
  }

  private @Nullable String mismatch(String requested, Probe probe, RangeSet done, long partSize) {
    if (!url.equals(requested)) {
      return "it belongs to another URL (" + url + ")";
    }
    if (size != probe.size()) {
      return "the file is now " + probe.size() + " bytes, not " + size;
    }
    if (!etag.equals(probe.etag())) {
      return "the file changed on the server (ETag " + etag + " -> " + probe.etag() + ")";
    }
    if (!lastModified.equals(probe.lastModified())) {
      return "the file changed on the server (Last-Modified " + lastModified + " -> "
          + probe.lastModified() + ")";
    }
    if (done.end() >= partSize) {
      return "its part file is shorter (" + partSize + " bytes) than the ranges it lists";
    }
    return null;
  }

  private static String require(Properties p, String key) {
    String value = p.getProperty(key);
    if (value == null) {
      throw new IllegalArgumentException("no " + key);
    }
    return value;
  }

  /**
   * Replaces the control file of {@code target} with this one, atomically: a crash leaves the
   * old or the new one.
   *
   * @param durable whether to force the new file to disk before the rename. Only a control file
   *     that lists nothing may skip it: a power loss may then leave it empty or garbled, which
   *     means "start over", and starting over loses nothing it listed.
   */
  void write(Path target, boolean durable) throws IOException {
    if (!durable && !done.isEmpty()) {
      throw new IllegalStateException("a control file listing ranges must be written durably");
    }
    Properties p = new Properties();
    p.setProperty("format", FORMAT);
    p.setProperty("url", url);
    p.setProperty("finalUrl", finalUrl);
    p.setProperty("size", Long.toString(size));
    p.setProperty("etag", etag);
    p.setProperty("lastModified", lastModified);
    p.setProperty("chunkBytes", Long.toString(chunkBytes));
    p.setProperty("done", RangeSet.of(done).text());
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    p.store(bytes, "rangefetch: what is needed to continue this download; do not edit");
    Path path = pathFor(target);
    Path temp = PartFileNames.controlTemp(target);
    try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE,
        StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
      ByteBuffer buffer = ByteBuffer.wrap(bytes.toByteArray());
      while (buffer.hasRemaining()) {
        channel.write(buffer);
      }
      if (durable) {
        channel.force(true);
      }
    }
    // No fsync of the directory: if a power loss undoes this rename, the older control file
    // comes back, and it lists fewer ranges, all of them still on disk: a correct, older state.
    Files.move(temp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  /** Deletes the control file of {@code target}, with its temporary file and live record. */
  static void delete(Path target) {
    deleteQuietly(PartFileNames.control(target));
    deleteQuietly(PartFileNames.controlTemp(target));
    deleteQuietly(PartFileNames.live(target));
  }

  /**
   * Deletes a file that is most often not there. {@link Files#deleteIfExists} answers a missing
   * file from the failed unlink (its internal exception carries no stack trace), where
   * {@link Files#exists} on JDK 17 throws a {@code NoSuchFileException} with a full stack trace,
   * which a server adding many small files would pay for several times per download.
   */
  private static void deleteQuietly(Path path) {
    try {
      Files.deleteIfExists(path);
    } catch (IOException e) {
      LOG.warn("could not delete {}: {}", path, e.toString());
    }
  }
}
