package io.rangefetch.internal;

import io.rangefetch.DownloadHandle;
import io.rangefetch.DownloadRequest;
import io.rangefetch.Probe;
import java.net.URI;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** The worker behind {@link io.rangefetch.RangeDownloader}. Thread-safe. */
public final class DownloadEngine implements AutoCloseable {
  /** The version of rangefetch, for the User-Agent. */
  public static final String VERSION = "0.1.0";

  private final EngineSettings settings;

  public DownloadEngine(EngineSettings settings) {
    this.settings = settings;
  }

  public EngineSettings settings() {
    return settings;
  }

  public CompletableFuture<Probe> probe(URI uri) {
    throw new IllegalStateException("engine in progress");
  }

  public DownloadHandle start(DownloadRequest request) {
    throw new IllegalStateException("engine in progress");
  }

  public List<DownloadHandle> active() {
    return List.of();
  }

  @Override
  public void close() {}
}
