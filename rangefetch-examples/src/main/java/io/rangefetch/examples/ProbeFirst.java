package io.rangefetch.examples;

import io.rangefetch.DownloadRequest;
import io.rangefetch.DownloadResult;
import io.rangefetch.Probe;
import io.rangefetch.RangeDownloader;
import java.net.URI;
import java.nio.file.Path;

/**
 * Asks the server about a URL before downloading it, and picks the number of threads from the
 * answer: parallel ranges only pay off for a large file on a server that really serves them.
 *
 * <p>Run: {@code ProbeFirst URL [DIRECTORY]}.
 */
public final class ProbeFirst {
  /** Below this size one request is as fast as many. */
  private static final long PARALLEL_FROM_BYTES = 1024 * 1024;

  private ProbeFirst() {}

  /**
   * Probes one URL, prints what the server said, then downloads it.
   *
   * @param args the URL, then optionally the target directory
   * @throws Exception if the probe or the download fails
   */
  public static void main(String[] args) throws Exception {
    URI url = URI.create(args[0]);
    Path directory = Path.of(args.length > 1 ? args[1] : ".");

    try (RangeDownloader downloader = RangeDownloader.create()) {
      Probe probe = downloader.probe(url).get();
      System.out.println("final URL " + probe.finalUri() + ", size " + probe.size()
          + ", ranges " + probe.ranges() + ", name " + probe.fileName());

      boolean parallel = probe.rangesSupported() && probe.size() >= PARALLEL_FROM_BYTES;
      int threads = parallel ? downloader.limits().maxThreads() : 1;
      System.out.println("downloading with " + threads + (threads == 1 ? " thread" : " threads"));

      DownloadRequest request = DownloadRequest.intoDirectory(probe.finalUri(), directory)
          .threads(threads)
          .build();
      DownloadResult result = downloader.start(request).result().get();
      System.out.println("saved " + result.file() + ", sha256 " + result.sha256());
    }
  }
}
