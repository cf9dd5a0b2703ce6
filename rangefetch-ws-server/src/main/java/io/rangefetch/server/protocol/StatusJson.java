package io.rangefetch.server.protocol;

import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The protocol's status object of one download. Immutable and thread-safe. Absent values are written as JSON
 * {@code null}, as the protocol shows them.
 *
 * @param id unique within the server, stable across restarts
 * @param url the URL as added, without credentials
 * @param finalUrl the URL after redirects, once the probe answered
 * @param state one of {@code queued probing downloading paused completed failed cancelled}
 * @param size total bytes, or null while unknown
 * @param rangesSupported whether ranges work, null before the probe
 * @param threads workers fetching right now
 * @param maxThreads the thread cap in force
 * @param chunkBytes the request size cap in force
 * @param bytesDone bytes written so far
 * @param progress {@code bytesDone / size} rounded to 4 places, null while the size is unknown
 * @param speedBps recent bytes per second, null when not downloading
 * @param etaSeconds seconds left at that rate, null when not meaningful
 * @param fileName the file's name once known
 * @param file the {@code file:///} URI once completed
 * @param sha256 the file's digest once completed
 * @param error why it failed, or null
 * @param createdAt ISO-8601 time of the {@code add}
 * @param updatedAt ISO-8601 time of the last change
 * @param node the node that runs the download (or ran it last), in a cluster; null otherwise
 * @param fileUrl once completed in a cluster, the {@code /files/{id}} URL of the file on its
 *     node; null otherwise
 * @param fileMissing whether a completed download's file is no longer on disk (deleted or
 *     moved); {@code file} still says where it was
 * @param limitBps the download's own rate limit in bytes per second, or null for none
 * @param hostAllowance while downloading, the connections the server's host may have now when
 *     that is below the per-host cap (it answered 429 or 503 lately); null otherwise
 * @param mirrors the sources of a download with mirrors (or with a note about its URL), the
 *     URL first; null otherwise
 */
@JsonSerialize(using = StatusJsonSerializer.class)
public record StatusJson(String id, String url, @Nullable String finalUrl, String state,
    @Nullable Long size, @Nullable Boolean rangesSupported, int threads, int maxThreads,
    long chunkBytes, long bytesDone, @Nullable Double progress, @Nullable Long speedBps,
    @Nullable Long etaSeconds, @Nullable String fileName, @Nullable String file,
    @Nullable String sha256, @Nullable ErrorJson error, String createdAt, String updatedAt,
    @Nullable String node, @Nullable String fileUrl, boolean fileMissing,
    @Nullable Long limitBps, @Nullable Integer hostAllowance, @Nullable List<MirrorJson> mirrors) {

  /** Copies {@code mirrors}. */
  public StatusJson {
    mirrors = mirrors == null ? null : List.copyOf(mirrors);
  }

  /**
   * A status whose file, if any, is on disk ({@code fileMissing} false), without traffic limits
   * ({@code limitBps} and {@code hostAllowance} null) or {@code mirrors}.   */
  public StatusJson(String id, String url, @Nullable String finalUrl, String state,
      @Nullable Long size, @Nullable Boolean rangesSupported, int threads, int maxThreads,
      long chunkBytes, long bytesDone, @Nullable Double progress, @Nullable Long speedBps,
      @Nullable Long etaSeconds, @Nullable String fileName, @Nullable String file,
      @Nullable String sha256, @Nullable ErrorJson error, String createdAt, String updatedAt,
      @Nullable String node, @Nullable String fileUrl) {
    this(id, url, finalUrl, state, size, rangesSupported, threads, maxThreads, chunkBytes,
        bytesDone, progress, speedBps, etaSeconds, fileName, file, sha256, error, createdAt,
        updatedAt, node, fileUrl, false, null, null, null);
  }

  /**
   * A status of a server that is not part of a cluster: {@code node} and {@code fileUrl} null.
   */
  public StatusJson(String id, String url, @Nullable String finalUrl, String state,
      @Nullable Long size, @Nullable Boolean rangesSupported, int threads, int maxThreads,
      long chunkBytes, long bytesDone, @Nullable Double progress, @Nullable Long speedBps,
      @Nullable Long etaSeconds, @Nullable String fileName, @Nullable String file,
      @Nullable String sha256, @Nullable ErrorJson error, String createdAt, String updatedAt) {
    this(id, url, finalUrl, state, size, rangesSupported, threads, maxThreads, chunkBytes,
        bytesDone, progress, speedBps, etaSeconds, fileName, file, sha256, error, createdAt,
        updatedAt, null, null);
  }

  /**
   * The {@code error} of a failed download.
   *
   * @param code {@code DownloadException.code()}, or a server code such as {@code file_missing}
   * @param message what happened and what to do
   */
  public record ErrorJson(String code, String message) {}
}
