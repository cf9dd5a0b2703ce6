package io.rangefetch.server.download;

import io.rangefetch.DownloadResult;
import io.rangefetch.DownloadState;
import io.rangefetch.DownloadStatus;
import io.rangefetch.DownloadUrls;
import io.rangefetch.Limits;
import io.rangefetch.RangeSupport;
import io.rangefetch.SourceStatus;
import io.rangefetch.TransferStats;
import io.rangefetch.server.protocol.AddCommand;
import io.rangefetch.server.protocol.StatusJson;
import io.rangefetch.server.protocol.StatusJson.ErrorJson;
import java.net.URI;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import org.jspecify.annotations.Nullable;

/**
 * What clients are shown of one {@link ServerDownload}: the state, the core's last
 * {@link DownloadStatus}, and what the end of a run left (the file, its digest, the error). Not
 * thread-safe: its download calls it holding the download's lock.
 *
 * <p>The numbers (size, ranges, threads, caps, bytes, rate, sources) are the core's status as it
 * last came, kept whole. A download with no such status in this process (just added, restored
 * from the state file or a cluster row, or started again) gets one made the way the core makes
 * its own before the probe: the request's URI as the final one, size and ranges unknown, no
 * thread at work, the caps in force; a restored one also carries the size, ranges, bytes and
 * sources that were recorded. So there is one path to the protocol's status, whatever ran. The
 * state is kept apart from the core's: a pause asked for before a run exists shows at once, and
 * a download ends only with the core's end event, which brings the file, digest or error.
 */
final class ShownStatus {
  // All guarded by the lock of the ServerDownload that owns this.
  private DownloadState state;
  private DownloadStatus core;
  private @Nullable String fileName;
  private @Nullable Path file;
  // file.toUri() as text, kept with file (made once, not per status)
  private @Nullable String fileUri;
  private @Nullable String sha256;
  private @Nullable ErrorJson error;
  // a completed download's file is no longer on disk (FileCheck)
  private boolean fileMissing;
  private Instant updatedAt;
  private final String createdText;

  private ShownStatus(DownloadStatus core, @Nullable String fileName, Instant created) {
    this.state = core.state();
    this.core = core;
    this.fileName = fileName;
    this.updatedAt = created;
    this.createdText = iso(created);
  }

  /** A download just added: queued, the caps of {@code options} under {@code limits}. */
  static ShownStatus added(URI uri, AddCommand options, Limits limits, Instant now) {
    int maxThreads = options.threads() == null ? limits.maxThreads()
        : Math.min(options.threads(), limits.maxThreads());
    long chunkBytes = options.chunkBytes() == null ? limits.maxBytesPerThread()
        : Math.min(options.chunkBytes(), limits.maxBytesPerThread());
    return new ShownStatus(notStarted(uri, maxThreads, chunkBytes, List.of(), now),
        options.fileName(), now);
  }

  /**
   * A download as a state file or a cluster row kept it, with the caps in force now.
   *
   * @throws IllegalArgumentException if a kept value is not valid
   */
  static ShownStatus restored(StatusJson kept, URI uri, AddCommand options, Limits limits) {
    ShownStatus shown = added(uri, options, limits, Instant.parse(kept.createdAt()));
    shown.state = DownloadState.valueOf(kept.state().toUpperCase(Locale.ROOT));
    shown.updatedAt = Instant.parse(kept.updatedAt());
    Boolean ranged = kept.rangesSupported();
    shown.core = new DownloadStatus(shown.state,
        kept.finalUrl() == null ? DownloadUrls.redact(uri) : URI.create(kept.finalUrl()),
        kept.size() == null ? -1 : kept.size(), ranged == null ? RangeSupport.UNKNOWN
            : ranged ? RangeSupport.SUPPORTED : RangeSupport.NOT_SUPPORTED,
        0, shown.core.maxThreads(), shown.core.chunkBytes(), kept.bytesDone(), 0,
        shown.updatedAt, TransferStats.NONE, 0, -1, MirrorsJson.sources(kept.mirrors()));
    shown.fileName = kept.fileName();
    shown.setFile(kept.file() == null ? null : Path.of(URI.create(kept.file())));
    shown.sha256 = kept.sha256();
    shown.error = kept.error();
    shown.fileMissing = kept.fileMissing();
    return shown;
  }

  /** What the core says of a download before its probe; no limit or transfer: nothing runs. */
  private static DownloadStatus notStarted(URI uri, int maxThreads, long chunkBytes,
      List<SourceStatus> sources, Instant now) {
    return new DownloadStatus(DownloadState.QUEUED, uri, -1, RangeSupport.UNKNOWN, 0,
        maxThreads, chunkBytes, 0, 0, now, TransferStats.NONE, 0, -1, sources);
  }

  DownloadState state() {
    return state;
  }

  /** The file name the core chose or the client asked for, or null while unknown. */
  @Nullable String fileName() {
    return fileName;
  }

  int activeThreads() {
    return state == DownloadState.DOWNLOADING ? core.activeThreads() : 0;
  }

  /** Whether the download completed and its file is gone. */
  boolean fileMissing() {
    return state == DownloadState.COMPLETED && fileMissing;
  }

  @Nullable Path completedFile() {
    return state == DownloadState.COMPLETED ? file : null;
  }

  /** What was asked for changed now. */
  void touch() {
    updatedAt = Instant.now();
  }

  /**
   * Queued for a new run of the core: nothing of the last run is shown but the file name, which
   * the next run asks for again, and the caps and sources, until the new run tells its own.
   */
  void restart(URI uri) {
    state = DownloadState.QUEUED;
    updatedAt = Instant.now();
    core = notStarted(uri, core.maxThreads(), core.chunkBytes(), core.sources(), updatedAt);
    setFile(null);
    sha256 = null;
    error = null;
    fileMissing = false;
  }

  /** Takes the core's status; see {@link ServerDownload#apply}. */
  ServerDownload.Applied apply(DownloadStatus status, DownloadState shown,
      Optional<Path> chosenFile) {
    if (state.isTerminal()) {
      return ServerDownload.Applied.NOTHING;
    }
    String nameBefore = fileName;
    DownloadState before = state;
    if (!shown.isTerminal()) {
      state = shown;
    }
    core = status;
    chosenFile.ifPresent(path -> fileName = path.getFileName().toString());
    updatedAt = Instant.now();
    boolean stateChanged = before != state;
    return new ServerDownload.Applied(stateChanged,
        stateChanged || !Objects.equals(nameBefore, fileName));
  }

  /** Shows the download paused; returns whether the state changed. */
  boolean pause() {
    DownloadState before = state;
    state = DownloadState.PAUSED;
    updatedAt = Instant.now();
    return before != state;
  }

  /** Shows the download completed with the core's {@code result}; whether the state changed. */
  boolean complete(DownloadResult result) {
    DownloadState before = state;
    state = DownloadState.COMPLETED;
    updatedAt = Instant.now();
    core = new DownloadStatus(state, result.finalUri(), result.size(),
        result.ranged() ? RangeSupport.SUPPORTED : RangeSupport.NOT_SUPPORTED, 0,
        core.maxThreads(), core.chunkBytes(), result.size(), 0, updatedAt, core.transfer(),
        core.limitBytesPerSecond(), -1, core.sources());
    setFile(result.file().toAbsolutePath());
    fileName = result.file().getFileName().toString();
    sha256 = result.sha256();
    error = null;
    fileMissing = false;
    return before != state;
  }

  /** Shows the download failed with {@code why}; returns whether the state changed. */
  boolean fail(ErrorJson why) {
    DownloadState before = state;
    state = DownloadState.FAILED;
    error = why;
    updatedAt = Instant.now();
    return before != state;
  }

  /** Shows the download cancelled, unless it already ended; returns whether it changed. */
  boolean cancel() {
    if (state.isTerminal()) {
      return false;
    }
    state = DownloadState.CANCELLED;
    updatedAt = Instant.now();
    return true;
  }

  /**
   * Records whether the completed file {@code checked} is on disk, if it is still the file.
   *
   * @return whether the answer changed
   */
  boolean fileChecked(Path checked, boolean missing) {
    if (state != DownloadState.COMPLETED || !checked.equals(file) || missing == fileMissing) {
      return false;
    }
    fileMissing = missing;
    return true;
  }

  private void setFile(@Nullable Path value) {
    file = value;
    fileUri = value == null ? null : value.toUri().toString();
  }

  /**
   * The protocol's status of the download.
   *
   * @param uri the URL it fetches, shown without credentials
   * @param mirrors its mirrors as asked for
   * @param node the cluster node that runs it, or null
   * @param nodeUrl that node's base URL ending in {@code /}, or null
   * @param limitBps its own rate limit, 0 for none
   */
  StatusJson json(String id, URI uri, List<String> mirrors, @Nullable String node,
      @Nullable String nodeUrl, long limitBps) {
    boolean downloading = state == DownloadState.DOWNLOADING;
    boolean completed = state == DownloadState.COMPLETED;
    // The core's final URI is the request's until the probe, which also learns the ranges.
    boolean probed = core.ranges() != RangeSupport.UNKNOWN;
    OptionalDouble fraction = core.progress();
    Double progress = fraction.isPresent()
        ? Math.floor(fraction.getAsDouble() * 10_000) / 10_000 : null;
    Long eta = downloading
        ? core.remaining().map(left -> (left.toMillis() + 999) / 1000).orElse(null) : null;
    return new StatusJson(id, UrlPolicy.redact(uri), probed ? core.finalUri().toString() : null,
        state.name().toLowerCase(Locale.ROOT), core.size() < 0 ? null : core.size(),
        probed ? core.ranges() == RangeSupport.SUPPORTED : null,
        downloading ? core.activeThreads() : 0, core.maxThreads(), core.chunkBytes(),
        core.bytesDone(), progress, downloading ? core.bytesPerSecond() : null, eta, fileName,
        completed ? fileUri : null, completed ? sha256 : null, error, createdText,
        iso(updatedAt), node, completed && nodeUrl != null ? nodeUrl + "files/" + id : null,
        completed && fileMissing, limitBps == 0 ? null : limitBps,
        downloading && core.hostAllowance() > 0 ? core.hostAllowance() : null,
        MirrorsJson.of(uri, mirrors, core.sources(), downloading));
  }

  /** The ISO text of one second, shared by every download: formatting an instant is costly. */
  private record IsoSecond(long epochSecond, String text) {}

  private static volatile IsoSecond lastIso = new IsoSecond(Long.MIN_VALUE, "");

  private static String iso(Instant instant) {
    IsoSecond last = lastIso;
    if (last.epochSecond() != instant.getEpochSecond()) {
      last = new IsoSecond(instant.getEpochSecond(),
          instant.truncatedTo(ChronoUnit.SECONDS).toString());
      lastIso = last;
    }
    return last.text();
  }
}
