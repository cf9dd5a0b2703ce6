package io.rangefetch.testing;

import io.rangefetch.Limits;
import io.rangefetch.RangeDownloader;
import java.time.Duration;

/** Downloaders with small caps and short timeouts, so that tests of faults end quickly. */
public final class TestDownloaders {
  public static final int THREADS = 4;
  public static final int CHUNK = 64 * 1024;

  private TestDownloaders() {}

  /** 4 threads, chunks of 64 KiB. */
  public static Limits smallLimits() {
    return Limits.newBuilder().maxThreads(THREADS).maxBytesPerThread(CHUNK).build();
  }

  /** {@link #smallLimits()}, a 700 ms read timeout and 10-50 ms back-off. */
  public static RangeDownloader.Builder newBuilder() {
    return RangeDownloader.newBuilder()
        .limits(smallLimits())
        .connectTimeout(Duration.ofSeconds(5))
        .readTimeout(Duration.ofMillis(700))
        .retryBackoff(Duration.ofMillis(10), Duration.ofMillis(50));
  }
}
