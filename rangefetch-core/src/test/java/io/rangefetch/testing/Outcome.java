package io.rangefetch.testing;

import static org.junit.jupiter.api.Assertions.fail;

import io.rangefetch.DownloadException;
import io.rangefetch.DownloadHandle;
import io.rangefetch.DownloadResult;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * How a download or a probe ended, waited for with a generous bound so that no test can hang.
 *
 * @param result the result, when it completed
 * @param failure the exception it failed with, when it failed
 * @param cancelled whether its future was cancelled
 */
public record Outcome<T>(T result, Throwable failure, boolean cancelled) {
  /** The longest any test waits for a download: the CI machine is small and shared. */
  public static final Duration PATIENCE = Duration.ofSeconds(60);

  public static Outcome<DownloadResult> of(DownloadHandle download) {
    return of(download.result(), "download " + download.uri());
  }

  public static <T> Outcome<T> of(CompletableFuture<T> future, String what) {
    try {
      return new Outcome<>(future.get(PATIENCE.toMillis(), TimeUnit.MILLISECONDS), null, false);
    } catch (CancellationException e) {
      return new Outcome<>(null, null, true);
    } catch (ExecutionException | CompletionException e) {
      Throwable cause = e.getCause();
      while ((cause instanceof CompletionException || cause instanceof ExecutionException)
          && cause.getCause() != null) {
        cause = cause.getCause();
      }
      return new Outcome<>(null, cause, false);
    } catch (TimeoutException e) {
      return fail(what + " did not end within " + PATIENCE);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return fail("interrupted");
    }
  }

  public boolean succeeded() {
    return failure == null && !cancelled;
  }

  /** Returns the result, failing the test if there is none. */
  public T completed() {
    if (!succeeded()) {
      fail("expected success, but " + describe(), failure);
    }
    return result;
  }

  /** Returns the {@link DownloadException}, failing the test on any other end. */
  public DownloadException failed() {
    if (!(failure instanceof DownloadException exception)) {
      return fail("expected a DownloadException, but " + describe(), failure);
    }
    return exception;
  }

  private String describe() {
    if (cancelled) {
      return "it was cancelled";
    }
    return failure == null ? "it completed with " + result : "it failed with " + failure;
  }
}
