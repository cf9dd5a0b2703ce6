package io.rangefetch.examples;

import io.rangefetch.DownloadHandle;
import io.rangefetch.DownloadListener;
import io.rangefetch.DownloadRequest;
import io.rangefetch.DownloadResult;
import io.rangefetch.DownloadStatus;
import io.rangefetch.RangeDownloader;
import java.net.URI;
import java.nio.file.Path;

/**
 * The smallest embedding: build a downloader, start a download with a progress listener, wait
 * for the result.
 *
 * <p>Run: {@code DownloadWithProgress URL [DIRECTORY]}; the file lands in DIRECTORY (default:
 * the current directory) under the name the server suggests.
 */
public final class DownloadWithProgress {
  private DownloadWithProgress() {}

  /**
   * Downloads one URL and prints its progress.
   *
   * @param args the URL, then optionally the target directory
   * @throws Exception if the download fails: the message says why and what to do
   */
  public static void main(String[] args) throws Exception {
    URI url = URI.create(args[0]);
    Path directory = Path.of(args.length > 1 ? args[1] : ".");

    try (RangeDownloader downloader = RangeDownloader.create()) {
      DownloadRequest request = DownloadRequest.intoDirectory(url, directory)
          .listener(new DownloadListener() {
            @Override
            public void progress(DownloadHandle download, DownloadStatus status) {
              System.out.printf("%d of %d bytes, %d threads%n",
                  status.bytesDone(), status.size(), status.activeThreads());
            }
          })
          .build();
      DownloadResult result = downloader.start(request).result().get();
      System.out.println("saved " + result.file() + ", sha256 " + result.sha256());
    }
  }
}
