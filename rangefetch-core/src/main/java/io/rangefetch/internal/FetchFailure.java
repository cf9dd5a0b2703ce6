package io.rangefetch.internal;

import io.rangefetch.ByteRange;
import io.rangefetch.DownloadException;
import io.rangefetch.DownloadException.Reason;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * One failed request or write, with what the engine needs to decide on a retry. It becomes a
 * {@link DownloadException} when the download gives up.
 */
final class FetchFailure extends IOException {
  private static final long serialVersionUID = 1L;

  private final Reason reason;
  private final boolean retryable;
  private final transient @Nullable Duration retryAfter;
  private final int statusCode;

  FetchFailure(Reason reason, boolean retryable, String message, @Nullable Throwable cause,
      @Nullable Duration retryAfter, int statusCode) {
    super(message, cause);
    this.reason = reason;
    this.retryable = retryable;
    this.retryAfter = retryAfter;
    this.statusCode = statusCode;
  }

  static FetchFailure fatal(Reason reason, String message) {
    return new FetchFailure(reason, false, message, null, null, -1);
  }

  static FetchFailure retryable(Reason reason, String message, @Nullable Throwable cause) {
    return new FetchFailure(reason, true, message, cause, null, -1);
  }

  /** A failure of rangefetch itself: {@code e} escaped a run or a worker. */
  static FetchFailure bug(Throwable e) {
    return new FetchFailure(Reason.INTERNAL, false,
        "rangefetch failed unexpectedly: " + e + "; please report this bug", e, null, -1);
  }

  Reason reason() {
    return reason;
  }

  boolean isRetryable() {
    return retryable;
  }

  /** The server's {@code Retry-After}, if it gave one. */
  @Nullable Duration retryAfter() {
    return retryAfter;
  }

  /** The message it was made with: never null (a failure always says what happened). */
  @Override
  public String getMessage() {
    String message = super.getMessage();
    return message != null ? message : reason.name();
  }

  int statusCode() {
    return statusCode;
  }

  DownloadException toDownloadException(URI uri, @Nullable ByteRange range) {
    return toDownloadException(uri, range, false);
  }

  DownloadException toDownloadException(URI uri, @Nullable ByteRange range,
      boolean partFileKept) {
    return new DownloadException(reason, uri, getMessage(), getCause(), range, statusCode,
        partFileKept);
  }
}
