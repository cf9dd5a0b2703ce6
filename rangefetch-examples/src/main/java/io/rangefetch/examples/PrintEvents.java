package io.rangefetch.examples;

import io.rangefetch.ByteRange;
import io.rangefetch.DownloadException;
import io.rangefetch.DownloadHandle;
import io.rangefetch.DownloadListener;
import io.rangefetch.DownloadRequest;
import io.rangefetch.DownloadResult;
import io.rangefetch.DownloadStatus;
import io.rangefetch.Probe;
import io.rangefetch.RangeDownloader;
import java.net.URI;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * A listener that prints every event of every download, with the milliseconds since the
 * download started: the way to see what the downloader does, and in which order. Thread-safe:
 * {@code System.out} is. One instance waits for the end of one download.
 *
 * <p>Run: {@code PrintEvents URL [DIRECTORY]}.
 */
public final class PrintEvents implements DownloadListener {
  private final long startNanos = System.nanoTime();
  private final CountDownLatch lastEvent = new CountDownLatch(1);

  /**
   * Downloads one URL with this listener on the downloader, so it sees every download.
   *
   * @param args the URL, then optionally the target directory
   * @throws Exception if the download fails
   */
  public static void main(String[] args) throws Exception {
    URI url = URI.create(args[0]);
    Path directory = Path.of(args.length > 1 ? args[1] : ".");

    PrintEvents events = new PrintEvents();
    try (RangeDownloader downloader = RangeDownloader.newBuilder()
        .listener(events)
        .build()) {
      downloader.start(DownloadRequest.intoDirectory(url, directory).build());
      // Events arrive on the callback thread; the last one may come after result() completes.
      events.lastEvent.await();
    }
  }

  private void print(DownloadHandle download, String event) {
    long millis = (System.nanoTime() - startNanos) / 1_000_000;
    System.out.printf("%5d ms  download %s  %s%n", millis, download.id(), event);
  }

  @Override
  public void downloadQueued(DownloadHandle download) {
    print(download, "downloadQueued " + download.uri());
  }

  @Override
  public void probeStart(DownloadHandle download) {
    print(download, "probeStart");
  }

  @Override
  public void probeEnd(DownloadHandle download, Probe probe) {
    print(download, "probeEnd status=" + probe.statusCode() + " size=" + probe.size()
        + " ranges=" + probe.ranges());
  }

  @Override
  public void chunkStart(DownloadHandle download, ByteRange range, int attempt) {
    print(download, "chunkStart " + range + " attempt " + attempt);
  }

  @Override
  public void chunkEnd(DownloadHandle download, ByteRange range) {
    print(download, "chunkEnd " + range);
  }

  @Override
  public void chunkFailed(DownloadHandle download, ByteRange range, DownloadException cause,
      boolean willRetry) {
    print(download, "chunkFailed " + range + " " + cause.code()
        + (willRetry ? " (will retry): " : ": ") + cause.getMessage());
  }

  @Override
  public void progress(DownloadHandle download, DownloadStatus status) {
    print(download, "progress " + status.bytesDone() + "/" + status.size() + " bytes, "
        + status.activeThreads() + " threads");
  }

  @Override
  public void downloadPaused(DownloadHandle download) {
    print(download, "downloadPaused");
  }

  @Override
  public void downloadResumed(DownloadHandle download) {
    print(download, "downloadResumed");
  }

  @Override
  public void downloadEnd(DownloadHandle download, DownloadResult result) {
    print(download, "downloadEnd " + result.file() + " sha256=" + result.sha256());
    lastEvent.countDown();
  }

  @Override
  public void downloadFailed(DownloadHandle download, DownloadException cause) {
    print(download, "downloadFailed " + cause.code() + ": " + cause.getMessage());
    lastEvent.countDown();
  }

  @Override
  public void downloadCancelled(DownloadHandle download) {
    print(download, "downloadCancelled");
    lastEvent.countDown();
  }
}
