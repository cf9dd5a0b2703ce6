package io.rangefetch;

/** Where a download is in its life. The protocol writes these names in lower case. */
public enum DownloadState {
  /** Waiting for a free slot: {@link Limits#maxConcurrentDownloads()} are running. */
  QUEUED,
  /** The first request is on its way; nothing is known about the file yet. */
  PROBING,
  /** Workers are fetching chunks. */
  DOWNLOADING,
  /** Stopped by {@link DownloadHandle#pause()}; verified chunks are kept. */
  PAUSED,
  /** The file is complete under its final name. */
  COMPLETED,
  /** The download stopped for good; the handle's result holds the {@link DownloadException}. */
  FAILED,
  /**
   * Stopped by {@link DownloadHandle#cancel()}, which deleted the partial file, or by
   * {@link RangeDownloader#close()}, which kept it for a later run.
   */
  CANCELLED;

  /**
   * Returns whether this state is final.
   *
   * @return {@code true} for {@link #COMPLETED}, {@link #FAILED} and {@link #CANCELLED}
   */
  public boolean isTerminal() {
    return this == COMPLETED || this == FAILED || this == CANCELLED;
  }
}
