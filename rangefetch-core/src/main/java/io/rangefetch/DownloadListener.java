package io.rangefetch;


/**
 * Receives the events of downloads. Every method does nothing by default; override those you
 * need. The download is always the first argument, so one listener can serve many downloads.
 *
 * <p><b>Order.</b> For one download the events nest as follows:
 * <pre>
 * downloadQueued
 *   probeStart, probeEnd                        (probeEnd is missing if the probe failed)
 *   downloadContinued                           (only when a part file is continued)
 *   chunkStart, chunkEnd | chunkFailed          (repeated, several chunks at once)
 *   chunkSplit, chunkRaced                      (work moved between requests in flight)
 *   sourceChanged                               (a mirror checked or dropped, a URL replaced)
 *   progress                                    (at any time after probeStart)
 *   downloadPaused, downloadResumed             (any number of pairs)
 * downloadEnd | downloadFailed | downloadCancelled   (exactly one, always last)
 * </pre>
 * Every {@code chunkStart} is followed by exactly one {@code chunkEnd} or {@code chunkFailed}
 * for the same range and attempt. A file read as one stream (the server ignores ranges) is one
 * chunk covering the whole file; when the server gives no length either, it has no chunk events,
 * only progress.
 *
 * <p><b>Events and snapshots.</b> {@link DownloadHandle#status()} is read live, so it can show
 * a state (for example {@code COMPLETED}) before the listener has received the event that
 * carries the details ({@code downloadEnd} with the file and its digest). A listener that
 * mirrors downloads should take end states from the end events.
 *
 * <p><b>Threads.</b> Calls for one download are made one at a time, in the order above, never
 * concurrently, on the downloader's callback executor (see
 * {@link RangeDownloader.Builder#callbackExecutor}). Calls for different downloads may run in
 * parallel. A slow listener does not slow the download: events queue up for it. Return quickly
 * all the same; an exception thrown here is logged and ignored.
 */
public interface DownloadListener {

  /** A listener that ignores every event. */
  DownloadListener NONE = new DownloadListener() {};

  /**
   * A source of the download changed: a mirror was shown to serve the same file and is used
   * now, a source was dropped, a URL was refreshed or replaced
   * ({@link DownloadHandle#replaceUri(java.net.URI)}), or a replaced URL serves another file
   * and the download starts over. {@link SourceStatus#note()} says which. Fires at any time
   * between {@code downloadQueued} and the last event.
   *
   * @param download the download
   * @param source the source as it is now
   */
  default void sourceChanged(DownloadHandle download, SourceStatus source) {}

  /**
   * The download was accepted; it starts as soon as a slot is free. Always the first event.
   *
   * @param download the download
   */
  default void downloadQueued(DownloadHandle download) {}

  /**
   * The first request is about to be sent. Fires again after a resume of a download whose
   * server had not been probed yet, or after a restart because the file changed.
   *
   * @param download the download
   */
  default void probeStart(DownloadHandle download) {}

  /**
   * The server answered the first request: size, ranges and file name are known.
   *
   * @param download the download
   * @param probe what the server said
   */
  default void probeEnd(DownloadHandle download, Probe probe) {}

  /**
   * A part file left by an earlier run of the same URL was found, checked against the server's
   * answer (same size, same ETag and Last-Modified), and is continued: only the missing ranges
   * are fetched. Fires after {@code probeEnd}, at most once per run.
   *
   * @param download the download
   * @param bytesOnDisk the bytes kept from the earlier run
   */
  default void downloadContinued(DownloadHandle download, long bytesOnDisk) {}

  /**
   * A request for one chunk is about to be sent; for a request sent ahead on a busy connection
   * (pipelined), when its answer begins. A request sent ahead that is lost with its connection
   * before its turn has no events: its bytes get a {@code chunkStart} of their own later.
   *
   * @param download the download
   * @param range the bytes asked for; a retry after a broken connection asks only for the rest
   * @param attempt 1 for the first try of this chunk, then 2, 3 ...
   */
  default void chunkStart(DownloadHandle download, ByteRange range, int attempt) {}

  /**
   * All bytes of a chunk are written to the file.
   *
   * @param download the download
   * @param range the range of the matching {@code chunkStart}
   */
  default void chunkEnd(DownloadHandle download, ByteRange range) {}

  /**
   * Part of a chunk in flight moved to another request: a faster connection took over
   * {@code moved}, the tail of {@code range}, because the request for {@code range} would have
   * finished much later (work stealing); or the server answered {@code range} with fewer bytes
   * than asked for, and {@code moved} is asked for again. The request for {@code range} still
   * ends with {@code chunkEnd} or {@code chunkFailed}; {@code moved} gets a {@code chunkStart}
   * of its own. Fires between the two events of {@code range}'s request, or, for a range whose
   * request has not been answered yet, before its {@code chunkEnd}.
   *
   * @param download the download
   * @param range the range of a {@code chunkStart}, or the bytes that request still covered
   * @param moved the bytes that another request fetches instead
   */
  default void chunkSplit(DownloadHandle download, ByteRange range, ByteRange moved) {}

  /**
   * A free connection races a slow one on the last bytes of {@code range}: a {@code chunkStart}
   * for them follows. Each byte is written once, by whichever request gets it first; the other
   * request ends with {@code chunkEnd} once every byte is written.
   *
   * @param download the download
   * @param range the bytes still covered by the slow request
   */
  default void chunkRaced(DownloadHandle download, ByteRange range) {}

  /**
   * A chunk request failed. With {@code willRetry} a new {@code chunkStart} follows for the bytes
   * still missing, after a back-off; otherwise the download fails, unless it was paused or
   * cancelled.
   *
   * @param download the download
   * @param range the range of the matching {@code chunkStart}
   * @param cause what went wrong: its {@link DownloadException#reason()} says what kind of
   *     failure, {@link DownloadException.Reason#INTERRUPTED} when the download itself cut the
   *     request short (a pause, a refreshed URL, a dropped source)
   * @param willRetry whether the bytes still missing will be asked for again
   */
  default void chunkFailed(DownloadHandle download, ByteRange range, DownloadException cause,
      boolean willRetry) {}

  /**
   * Bytes were written. Rate-limited to at most one call per
   * {@link RangeDownloader.Builder#progressInterval progress interval} per download; the last
   * progress before {@code downloadEnd} shows every byte.
   *
   * @param download the download
   * @param status a snapshot: bytes done, size, threads working, speed
   */
  default void progress(DownloadHandle download, DownloadStatus status) {}

  /**
   * The download was paused; its workers have stopped.
   *
   * @param download the download
   */
  default void downloadPaused(DownloadHandle download) {}

  /**
   * A paused download goes on.
   *
   * @param download the download
   */
  default void downloadResumed(DownloadHandle download) {}

  /**
   * The file is complete, verified and under its final name. Last event.
   *
   * @param download the download
   * @param result the file, its size and SHA-256
   */
  default void downloadEnd(DownloadHandle download, DownloadResult result) {}

  /**
   * The download failed for good. Last event.
   *
   * @param download the download
   * @param cause what happened and what to do
   */
  default void downloadFailed(DownloadHandle download, DownloadException cause) {}

  /**
   * The download was cancelled and its partial file deleted, or its downloader was closed and
   * the partial file kept for a later run (see {@link RangeDownloader#close()}). Last event.
   *
   * @param download the download
   */
  default void downloadCancelled(DownloadHandle download) {}
}
