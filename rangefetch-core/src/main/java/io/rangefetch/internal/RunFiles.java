package io.rangefetch.internal;

import io.rangefetch.ByteRange;
import io.rangefetch.DownloadException.Reason;
import io.rangefetch.DownloadRequest;
import io.rangefetch.DownloadUrls;
import io.rangefetch.Probe;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The files of one download and what is known to be in them: the target name, the part file,
 * the records of what is done (for continuing after a crash) and the digest computed as the
 * file grows. Its fields are set by the download's coordinator thread between runs; the
 * workers only write through {@link #written}. Not thread-safe beyond that.
 */
final class RunFiles {
  private static final Logger LOG = LoggerFactory.getLogger(RunFiles.class);

  private final String id;
  private final String url;
  private final DownloadRequest request;
  private final DownloadEngine engine;
  private final Consumer<String> startedOver;

  // Written by the coordinator, read by anyone.
  private volatile @Nullable Path file;
  private volatile @Nullable PrefixHasher hasher;
  // Coordinator only.
  private @Nullable PartFile part;
  private @Nullable Checkpointer checkpointer;
  // Ranges a control file of an earlier run lists as done, until the run takes them.
  private @Nullable RangeSet onDisk;
  // What the server's first response says the whole file hashes to, if anything.
  private @Nullable ServerDigest serverDigest;

  /** @param startedOver told why a part file on disk was not continued */
  RunFiles(String id, String url, DownloadRequest request, DownloadEngine engine,
      Consumer<String> startedOver) {
    this.id = id;
    this.startedOver = startedOver;
    this.url = url;
    this.request = request;
    this.engine = engine;
  }

  @Nullable Path file() {
    return file;
  }

  /** Reserves the target when the request names a file; a directory waits for the probe. */
  void reserveNamedTarget() throws FetchFailure {
    if (file != null) {
      return;
    }
    Path target = request.target();
    switch (request.targetKind()) {
      case DIRECTORY -> createDirectory(target);
      case FILE -> {
        if (Files.isDirectory(target)) {
          throw FetchFailure.fatal(Reason.FILE_EXISTS, target.toAbsolutePath() + " is a"
              + " directory, and the request names it as the file to write; choose another"
              + " file name, or DownloadRequest.intoDirectory to write into it");
        }
        file = engine.targets().reserve(target, request.ifExists(), this::resumable);
      }
      case AS_FOUND -> {
        if (!Files.isDirectory(target)) {
          file = engine.targets().reserve(target, request.ifExists(), this::resumable);
        }
      }
      default -> throw new IllegalStateException("unknown target kind " + request.targetKind());
    }
  }

  private static void createDirectory(Path directory) throws FetchFailure {
    try {
      Files.createDirectories(directory);
    } catch (IOException | UnsupportedOperationException e) {
      throw FetchFailure.fatal(Reason.DISK, "cannot create the directory " + directory
          + " to download into (" + e + "); create it, or choose another directory");
    }
  }

  /**
   * Notes the digest the server sent for the whole file, checked by {@link #finish}; set before
   * the digests start ({@link #startRecording}, {@link #hashFromStart}).
   */
  void expect(@Nullable ServerDigest digest) {
    this.serverDigest = digest;
  }

  /**
   * Readies the part file for what the probe found: checks the size limit and the free space,
   * and takes over a part file an earlier run of this URL left, when its control file matches.
   */
  void prepare(Probe probe, FirstResponse.Kind kind) throws FetchFailure {
    long max = engine.settings().limits().maxFileBytes();
    if (probe.size() > max) {
      throw FetchFailure.fatal(Reason.TOO_LARGE, probe.finalUri() + " is " + probe.size()
          + " bytes, more than the limit of " + max
          + " bytes (Limits.maxFileBytes); raise the limit to download it");
    }
    if (file == null) {
      file = engine.targets().reserve(request.target().resolve(probe.fileName()),
          request.ifExists(), this::resumable);
    }
    Path target = requireFile();
    if (part == null && kind == FirstResponse.Kind.RANGED) {
      onDisk = ControlFile.continuable(target, url, former(), probe, id, startedOver);
      if (onDisk != null) {
        part = PartFile.reopen(target);
      }
    }
    if (probe.size() > 0) {
      checkFreeSpace(target.toAbsolutePath().getParent(), probe.size() - (onDisk == null ? 0 : onDisk.bytes()));
    }
    if (part == null) {
      ControlFile.delete(target);
      part = PartFile.create(target);
    }
  }

  /**
   * Takes what an earlier run left on disk, and starts recording what this run finishes.
   *
   * @param served the bytes the first response carries
   * @return what is on disk already, and whether the first response is worth reading
   */
  Recording startRecording(Probe probe, long chunkBytes, ByteRange served) {
    boolean fresh = onDisk == null;
    RangeSet done = onDisk != null ? onDisk : new RangeSet();
    onDisk = null;
    boolean readFirst = !done.contains(served);
    if (readFirst) {
      // The first response is read anyway: its bytes count once, as they arrive.
      done.remove(served);
    }
    checkpointer = new Checkpointer(requireFile(), requirePart(),
        ControlFile.header(url, probe, chunkBytes), done, engine.workers(), engine.timer(),
        engine.settings().checkpointInterval());
    if (fresh && served.last() < probe.size() - 1) {
      // The first checkpoint may be an interval away: until then this marks the part file as
      // ours, so that a run after a crash takes it instead of a numbered name. A file the first
      // response covers whole has nothing to continue, and a server adding many small files
      // pays for every file written.
      checkpointer.claim();
    }
    hasher = newHasher(done);
    return new Recording(done, readFirst);
  }

  /** What {@link #startRecording} found: the bytes on disk, and whether to read the first response. */
  record Recording(RangeSet done, boolean readFirst) {}

  /** Whether an earlier run's part file waits to be continued. */
  boolean continuing() {
    return onDisk != null;
  }

  /** Starts the digest over for a file read as one stream from its first byte. */
  void hashFromStart() {
    hasher = newHasher(new RangeSet());
  }

  /** Counts a write for the digest. */
  void written(long position, int bytes) {
    PrefixHasher h = hasher;
    if (h != null) {
      h.written(ByteRange.of(position, bytes));
    }
  }

  /** Records a finished chunk, unless it completes a file of {@code size} ({@code done} bytes). */
  void chunkWritten(ByteRange chunk, long done, long size) {
    Checkpointer recorder = checkpointer;
    // The chunk that completes the file is not recorded: the file is renamed next, and a small
    // file (one chunk) then costs no hand-off, no record and no timer at all.
    if (recorder != null && !(size > 0 && done >= size)) {
      recorder.completed(chunk);
    }
  }

  /** Drops what an earlier attempt wrote: the file changed, or ranges do not work. */
  void startOver() throws FetchFailure {
    if (part == null) {
      return;
    }
    closeCheckpointer();
    checkpointer = null;
    // Records first: a crash in between then leaves a part file that nothing claims to continue.
    ControlFile.delete(requireFile());
    requirePart().truncate();
    hasher = null;
  }

  /** Empties the part file, to read the whole stream again from its first byte. */
  void truncate() throws FetchFailure {
    requirePart().truncate();
    hashFromStart();
  }

  /** The digests of the complete part file, by algorithm; none when none is needed. */
  private Map<String, byte[]> digests(long size) throws IOException {
    PrefixHasher h = hasher;
    if (h == null) {
      return Map.of();
    }
    try {
      return h.finish(size);
    } catch (IOException e) {
      // The prefix hasher lost track (it should not); one pass over the file is always right.
      LOG.warn("download {}: hashing as the file grew failed ({}); hashing it again", id,
          e.getMessage());
      PrefixHasher again = new PrefixHasher(requirePart().channel(), new RangeSet(),
          Runnable::run, algorithms());
      if (size > 0) {
        again.written(new ByteRange(0, size - 1));
      }
      return again.finish(size);
    }
  }

  /**
   * Ends a complete download: digests the part file, checks the digest against
   * {@code expected} when given, and gives the file its final name.
   *
   * @return the SHA-256, or "" when the request asked for none
   * @throws FetchFailure DISK if the file cannot be read back or renamed, CHECKSUM_MISMATCH if
   *     the digest is not the expected one
   */
  String finish(long size, @Nullable String expected) throws FetchFailure {
    Map<String, byte[]> digests;
    try {
      digests = digests(size);
    } catch (IOException e) {
      throw PartFile.diskFailure("reading " + requirePart().path() + " to check it", e);
    }
    byte[] sha256Bytes = digests.get("SHA-256");
    String sha256 = sha256Bytes == null ? "" : HexFormat.of().formatHex(sha256Bytes);
    if (expected != null && !expected.equals(sha256)) {
      throw FetchFailure.fatal(Reason.CHECKSUM_MISMATCH, "the downloaded file has SHA-256 "
          + sha256 + ", not the expected " + expected
          + "; it was deleted. Check the expected digest, or the file changed on the server");
    }
    ServerDigest announced = serverDigest;
    byte[] got = announced == null ? null : digests.get(announced.algorithm());
    if (announced != null && got != null && !MessageDigest.isEqual(got, announced.expected())) {
      throw FetchFailure.fatal(Reason.CHECKSUM_MISMATCH, "the downloaded file has "
          + announced.algorithm() + " " + HexFormat.of().formatHex(got) + ", but the server's "
          + announced.header() + " says " + announced.expectedHex() + "; it was deleted. The"
          + " bytes were damaged on the way or the file changed on the server; try again");
    }
    commit();
    return sha256;
  }

  /** Gives the part file its final name. */
  private void commit() throws FetchFailure {
    closeCheckpointer();
    requirePart().commit(requireFile());
    ControlFile.delete(requireFile());
  }

  /** Records exactly what is on disk, once the workers have stopped: all but {@code missing}. */
  void recordWhatIsOnDisk(List<ByteRange> missing, long size) {
    Checkpointer recorder = checkpointer;
    if (recorder != null) {
      RangeSet gaps = new RangeSet();
      missing.forEach(gaps::add);
      recorder.recordNow(RangeSet.of(gaps.gaps(size)));
    }
  }

  /** Keeps the part file if its control file lists something, so a later run continues it. */
  boolean keepOrDiscard(boolean ranged, List<ByteRange> missing, long size) {
    boolean keep = false;
    if (checkpointer != null && ranged) {
      recordWhatIsOnDisk(missing, size);
      keep = checkpointer.hasRecorded();
    }
    closeCheckpointer();
    if (keep) {
      requirePart().close();
    } else {
      discard();
    }
    return keep;
  }

  /** Deletes the part file and its control file. */
  void discard() {
    closeCheckpointer();
    PartFile written = part;
    if (written != null) {
      written.discard();
    }
    Path target = file;
    if (target != null) {
      ControlFile.delete(target);
    }
  }

  PartFile requirePart() {
    PartFile p = part;
    if (p == null) {
      throw new IllegalStateException("no part file before the probe");
    }
    return p;
  }

  Path requireFile() {
    Path f = file;
    if (f == null) {
      throw new IllegalStateException("no target file before it is reserved");
    }
    return f;
  }

  private void closeCheckpointer() {
    Checkpointer recorder = checkpointer;
    if (recorder != null) {
      recorder.close();
    }
  }

  private @Nullable PrefixHasher newHasher(RangeSet done) {
    Set<String> algorithms = algorithms();
    return algorithms.isEmpty() ? null
        : new PrefixHasher(requirePart().channel(), done, engine.workers(), algorithms);
  }

  /** SHA-256 when the request wants it, and the algorithm of the server's digest: no more. */
  private Set<String> algorithms() {
    Set<String> algorithms = new LinkedHashSet<>();
    if (request.computeSha256()) {
      algorithms.add("SHA-256");
    }
    ServerDigest announced = serverDigest;
    if (announced != null) {
      algorithms.add(announced.algorithm());
    }
    return algorithms;
  }

  /** Whether the part file beside {@code target} was left by an earlier run of this URL. */
  private boolean resumable(Path target) {
    return ControlFile.isFor(target, url, former());
  }

  private @Nullable String former() {
    return request.formerUri().map(u -> DownloadUrls.redact(u).toString()).orElse(null);
  }

  private static void checkFreeSpace(@Nullable Path dir, long needed) throws FetchFailure {
    if (dir == null) {
      return; // a file at the root of the file system: the write itself reports a full disk
    }
    // File.getUsableSpace is one statvfs; Files.getFileStore reads the mount table first.
    long free = dir.toFile().getUsableSpace();
    if (free == 0 && !Files.isDirectory(dir)) {
      return; // unknown: the write itself reports a missing directory
    }
    if (free < needed) {
      throw FetchFailure.fatal(Reason.DISK, "the file needs " + needed + " bytes but " + dir
          + " has only " + free + " bytes free; free some space or choose another directory");
    }
  }
}
