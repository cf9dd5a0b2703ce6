package io.rangefetch.examples;

import io.rangefetch.DownloadHandle;
import io.rangefetch.DownloadRequest;
import io.rangefetch.DownloadResult;
import io.rangefetch.DownloadStatus;
import io.rangefetch.Limits;
import io.rangefetch.RangeDownloader;
import java.net.URI;
import java.nio.file.Path;

/**
 * Caps on the downloader versus what one request asks for. The owner of the downloader sets
 * {@link Limits}; a request may ask for less, and asking for more quietly gets the cap, which
 * the download's status shows.
 *
 * <p>Run: {@code TunedLimits URL [DIRECTORY]}.
 */
public final class TunedLimits {
  private TunedLimits() {}

  /**
   * Downloads one URL under tight caps while asking for more than they allow.
   *
   * @param args the URL, then optionally the target directory
   * @throws Exception if the download fails
   */
  public static void main(String[] args) throws Exception {
    URI url = URI.create(args[0]);
    Path directory = Path.of(args.length > 1 ? args[1] : ".");

    Limits limits = Limits.newBuilder()
        .maxThreads(4)                      // at most 4 requests in flight per download
        .maxBytesPerThread(1024 * 1024)     // no request asks for more than 1 MiB
        .maxConcurrentDownloads(2)          // a third download waits in QUEUED
        .build();

    try (RangeDownloader downloader = RangeDownloader.newBuilder().limits(limits).build()) {
      DownloadRequest request = DownloadRequest.intoDirectory(url, directory)
          .threads(16)                      // more than the cap: 4 are used
          .chunkBytes(8 * 1024 * 1024)      // more than the cap: 1 MiB is used
          .build();
      DownloadHandle download = downloader.start(request);
      DownloadResult result = download.result().get();

      DownloadStatus status = download.status();
      System.out.println("asked for 16 threads and 8 MiB chunks; got " + status.maxThreads()
          + " threads and " + status.chunkBytes() + "-byte chunks");
      System.out.println("saved " + result.file() + ", sha256 " + result.sha256());
    }
  }
}
