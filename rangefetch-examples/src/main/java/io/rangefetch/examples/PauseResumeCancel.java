package io.rangefetch.examples;

import io.rangefetch.DownloadHandle;
import io.rangefetch.DownloadListener;
import io.rangefetch.DownloadRequest;
import io.rangefetch.DownloadResult;
import io.rangefetch.DownloadStatus;
import io.rangefetch.RangeDownloader;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;

/**
 * Controls a download through its {@link DownloadHandle}: pause it once bytes flow, resume it
 * (only the missing bytes are fetched), and cancel a second one (its partial file is deleted).
 *
 * <p>Run: {@code PauseResumeCancel URL [DIRECTORY]}. Use a URL large enough that the download
 * is still running when its first progress arrives: {@link DownloadHandle#pause()} refuses a
 * download that has already completed.
 */
public final class PauseResumeCancel {
  private PauseResumeCancel() {}

  /**
   * Downloads one URL with a pause in the middle, then starts and cancels a second copy.
   *
   * @param args the URL, then optionally the target directory
   * @throws Exception if the download fails
   */
  public static void main(String[] args) throws Exception {
    URI url = URI.create(args[0]);
    Path directory = Path.of(args.length > 1 ? args[1] : ".");
    CountDownLatch bytesFlow = new CountDownLatch(1);

    try (RangeDownloader downloader = RangeDownloader.create()) {
      DownloadHandle download = downloader.start(DownloadRequest.intoDirectory(url, directory)
          .listener(new DownloadListener() {
            @Override
            public void progress(DownloadHandle download, DownloadStatus status) {
              bytesFlow.countDown();
            }
          })
          .build());

      bytesFlow.await();
      // The future completes once the pause holds: the workers have stopped.
      DownloadStatus paused = download.pause().get();
      System.out.println("paused at " + paused.bytesDone() + " bytes (state " + paused.state() + ")");

      download.resume().get();
      DownloadResult result = download.result().get();
      System.out.println("resumed and saved " + result.file() + ", sha256 " + result.sha256());

      DownloadHandle second = downloader.start(
          DownloadRequest.toFile(url, directory.resolve("second-copy")).build());
      second.cancel();
      try {
        second.result().get();
      } catch (CancellationException expected) {
        System.out.println("second download cancelled, file written: "
            + Files.exists(directory.resolve("second-copy")));
      }
    }
  }
}
