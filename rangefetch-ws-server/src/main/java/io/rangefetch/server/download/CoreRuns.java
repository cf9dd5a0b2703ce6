package io.rangefetch.server.download;

import io.rangefetch.DownloadException;
import io.rangefetch.DownloadHandle;
import io.rangefetch.DownloadListener;
import io.rangefetch.DownloadRequest;
import io.rangefetch.DownloadResult;
import io.rangefetch.DownloadState;
import io.rangefetch.DownloadStatus;
import io.rangefetch.IfExists;
import io.rangefetch.Probe;
import io.rangefetch.RangeDownloader;
import io.rangefetch.server.protocol.AddCommand;
import io.rangefetch.server.protocol.CommandException;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the server's downloads in the core: starts a run of the shared {@link RangeDownloader}
 * for a download, and turns the events of that run into changes of the download, recorded and
 * told to the listeners. Each run of a download has a generation; events of an older run are
 * dropped. Thread-safe.
 */
final class CoreRuns {
  private static final Logger LOG = LoggerFactory.getLogger(CoreRuns.class);
  private static final int CANCEL_WAIT_SECONDS = 10;

  private final RangeDownloader downloader;
  private final RunTargets targets;
  private final DownloadRecords records;
  private final StatusPublisher publisher;

  CoreRuns(RangeDownloader downloader, RunTargets targets, DownloadRecords records,
      StatusPublisher publisher) {
    this.downloader = downloader;
    this.targets = targets;
    this.records = records;
    this.publisher = publisher;
  }

  /**
   * Starts a new run of the core for {@code download}.
   *
   * @param again whether the download ran in an earlier process (restored from the state file):
   *     then the core is asked for the same file as then, so it finds the part file
   */
  void run(ServerDownload download, boolean again) {
    launch(download, download.nextGeneration(), again);
  }

  /** Starts the run {@code generation} of {@code download}, claimed by the caller. */
  void launch(ServerDownload download, long generation, boolean again) {
    AddCommand options = download.options();
    RunTargets.Target target;
    try {
      target = again ? targets.again(download) : targets.first(download);
    } catch (IOException | IllegalArgumentException e) {
      ended(download, download.fail("disk", "cannot create its directory: " + e.getMessage()));
      return;
    }
    DownloadRequest.Builder request = DownloadRequest
        .newBuilder(download.uri(), target.path())
        .ifExists(target.ifExists())
        .maxBytesPerSecond(download.limitBps())
        .listener(new Events(download, generation));
    if (options.threads() != null) {
      request.threads(options.threads());
    }
    if (options.chunkBytes() != null) {
      request.chunkBytes(options.chunkBytes());
    }
    if (options.sha256() != null) {
      request.sha256(options.sha256());
    }
    options.headers().forEach(request::header);
    options.mirrors().forEach(mirror -> request.mirror(URI.create(mirror)));
    download.takeFormerUri().ifPresent(request::formerUri);
    DownloadHandle handle;
    try {
      handle = downloader.start(request.build());
    } catch (RuntimeException e) {
      LOG.error("download {}: the downloader refused to start it", download.id(), e);
      download.fail("internal", "the server could not start this download (" + e.getMessage()
          + "); add the URL again, and report it if it keeps happening");
      return;
    }
    switch (download.attach(handle, generation)) {
      // Paused while the core was being asked to start it.
      case PAUSE -> pauseQuietly(download, handle);
      // Cancelled, removed or started again meanwhile: this run is nobody's.
      case CANCEL -> handle.cancel();
      case NOTHING -> { }
    }
  }

  /** Pauses a run that may have ended meanwhile. */
  static void pauseQuietly(ServerDownload download, DownloadHandle handle) {
    try {
      handle.pause();
    } catch (IllegalStateException e) {
      LOG.debug("download {} ended before its pause reached the core", download.id());
    }
  }

  /**
   * Cancels the run of {@code handle} and waits a little for the core to stop the workers and
   * delete the partial file, so that a client told "cancelled" finds no partial file. The
   * workers' connections are aborted, so this takes milliseconds; a core that needs longer
   * finishes on its own.
   *
   * @return whether the run ended completed or failed before the cancel came: then the core's
   *     end event tells the rest
   */
  static boolean cancelAndAwait(DownloadHandle handle) {
    handle.cancel();
    try {
      handle.result().handle((result, failure) -> null).get(CANCEL_WAIT_SECONDS, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      LOG.warn("download {} did not stop within {} s of its cancel; it will stop on its own",
          handle.id(), CANCEL_WAIT_SECONDS);
    }
    DownloadState after = handle.status().state();
    return after == DownloadState.COMPLETED || after == DownloadState.FAILED;
  }

  /**
   * Deletes the part file of a download that no core run holds (paused before a restart), as
   * the core does on a cancel.
   */
  void deletePartFiles(ServerDownload download) {
    targets.deletePartFiles(download);
  }

  /** Takes the core's status of the run into the download, records and tells it. */
  void update(ServerDownload download, DownloadHandle handle) {
    DownloadStatus now = handle.status();
    update(download, handle, now, now.state());
  }

  private void update(ServerDownload download, DownloadHandle handle, DownloadStatus status,
      DownloadState shown) {
    ServerDownload.Applied applied = download.apply(status, shown, handle.file());
    if (applied.storedChanged()) {
      records.soon(download);
    }
    publisher.changed(download, applied.stateChanged());
  }

  private void ended(ServerDownload download, boolean stateChanged) {
    if (stateChanged) {
      records.now(download);
      publisher.changed(download, true);
    }
  }

  /** The events of one run of one download, turned into status changes. */
  private final class Events implements DownloadListener {
    private final ServerDownload download;
    private final long generation;

    Events(ServerDownload download, long generation) {
      this.download = download;
      this.generation = generation;
    }

    private boolean current() {
      return !records.isClosing() && download.accepts(generation);
    }

    // Each event stands for the state the core was in when it fired; the events of one
    // download come in order, so clients see the states in the order the core went through.
    private void changed(DownloadHandle handle, DownloadStatus status, DownloadState shown) {
      if (current()) {
        update(download, handle, status, shown);
      }
    }

    @Override
    public void downloadQueued(DownloadHandle handle) {
      changed(handle, handle.status(), DownloadState.QUEUED);
    }

    @Override
    public void probeStart(DownloadHandle handle) {
      changed(handle, handle.status(), DownloadState.PROBING);
    }

    @Override
    public void probeEnd(DownloadHandle handle, Probe probe) {
      changed(handle, handle.status(), DownloadState.DOWNLOADING);
    }

    @Override
    public void progress(DownloadHandle handle, DownloadStatus status) {
      changed(handle, status, status.state());
    }

    @Override
    public void downloadContinued(DownloadHandle handle, long bytesOnDisk) {
      if (current()) {
        LOG.info("download {}: continuing {} from {} bytes already on disk", download.id(),
            handle.file().map(Path::toString).orElse("its file"), bytesOnDisk);
      }
    }

    @Override
    public void downloadPaused(DownloadHandle handle) {
      changed(handle, handle.status(), DownloadState.PAUSED);
    }

    @Override
    public void downloadResumed(DownloadHandle handle) {
      changed(handle, handle.status(), DownloadState.QUEUED);
    }

    @Override
    public void downloadEnd(DownloadHandle handle, DownloadResult result) {
      if (current()) {
        ended(download, download.complete(result));
      }
    }

    @Override
    public void downloadFailed(DownloadHandle handle, DownloadException cause) {
      if (current()) {
        ended(download, download.fail(cause));
      }
    }

    @Override
    public void downloadCancelled(DownloadHandle handle) {
      if (current()) {
        ended(download, download.cancelled());
      }
    }
  }
}
