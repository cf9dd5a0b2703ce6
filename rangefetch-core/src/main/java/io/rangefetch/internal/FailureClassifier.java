package io.rangefetch.internal;

import io.rangefetch.DownloadException.Reason;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import javax.net.ssl.SSLException;
import org.apache.hc.client5.http.ClientProtocolException;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.ConnectionClosedException;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpException;
import org.apache.hc.core5.http.MessageConstraintException;
import org.apache.hc.core5.http.ProtocolException;
import org.jspecify.annotations.Nullable;

/** Turns exceptions and error responses into {@link FetchFailure}s: what happened, may we retry. */
final class FailureClassifier {
  /** A {@code Retry-After} longer than this fails the download instead of blocking a worker. */
  static final Duration MAX_RETRY_AFTER = Duration.ofMinutes(2);

  private FailureClassifier() {}

  /**
   * Classifies an exception thrown while sending {@code what} (e.g. "GET https://h/a
   * bytes=0-99") or reading its body.
   */
  static FetchFailure classify(Throwable e, String what) {
    if (e instanceof FetchFailure failure) {
      return failure;
    }
    if (e instanceof ClientProtocolException && e.getCause() != null) {
      // HttpClient wraps a malformed response (bad Content-Length, ...) in this.
      return classify(e.getCause(), what);
    }
    if (e instanceof HttpClientFactory.AddressRefusedException) {
      return FetchFailure.fatal(Reason.ADDRESS_REFUSED, what + " refused: " + e.getMessage()
          + "; this server does not download from private or local addresses");
    }
    if (e instanceof UnknownHostException) {
      return FetchFailure.fatal(Reason.NETWORK, what + " failed: unknown host "
          + e.getMessage() + "; check the host name in the URL");
    }
    if (e instanceof SocketTimeoutException) {
      return FetchFailure.retryable(Reason.TIMEOUT, what + " timed out: the server sent nothing"
          + " for longer than the read timeout; it may be overloaded, try again later", e);
    }
    if (e instanceof ConnectException || e instanceof NoRouteToHostException) {
      return FetchFailure.retryable(Reason.NETWORK, what + " could not connect: "
          + e.getMessage() + "; check that the server is up and the port is right", e);
    }
    if (e instanceof SSLException) {
      return FetchFailure.fatal(Reason.NETWORK, what + " failed the TLS handshake: "
          + e.getMessage() + "; check the certificate of the server");
    }
    if (e instanceof MessageConstraintException || e instanceof ProtocolException
        || e instanceof HttpException) {
      return FetchFailure.fatal(Reason.SERVER_MISBEHAVED, what + " got a malformed response: "
          + e.getMessage() + "; the server or a proxy in between is broken");
    }
    if (e instanceof ConnectionClosedException) {
      return FetchFailure.retryable(Reason.NETWORK,
          what + " lost its connection: " + e.getMessage(), e);
    }
    if (e instanceof InterruptedIOException) {
      return FetchFailure.retryable(Reason.TIMEOUT, what + " was interrupted", e);
    }
    if (e instanceof IOException) {
      return FetchFailure.retryable(Reason.NETWORK, what + " failed: " + e, e);
    }
    return new FetchFailure(Reason.NETWORK, false, what + " failed unexpectedly: " + e, e, null, -1);
  }

  /** Classifies a response whose status is not one the engine can use. */
  static FetchFailure forStatus(ClassicHttpResponse response, String what) {
    int code = response.getCode();
    String status = code + (response.getReasonPhrase() == null || response.getReasonPhrase().isBlank()
        ? "" : " " + response.getReasonPhrase());
    String prefix = what + " returned " + status;
    switch (code) {
      case 401:
        return status(code, false, prefix + ": the server wants credentials; put them in the URL"
            + " (https://user:password@host/...) or add an Authorization header", null);
      case 407:
        return status(code, false, prefix + ": the proxy wants credentials or refused them; put"
            + " them in the proxy URL (http://user:password@proxy:port)", null);
      case 403:
        return status(code, false, prefix + ": access is denied; check the URL and your rights",
            null);
      case 404:
      case 410:
        return status(code, false, prefix + ": there is no file at this URL; check the URL", null);
      default:
        break;
    }
    boolean retryable = code >= 500 || code == 408 || code == 425 || code == 429;
    if (!retryable) {
      return status(code, false, prefix + "; check the URL", null);
    }
    Duration retryAfter = retryAfter(response);
    if (retryAfter != null && retryAfter.compareTo(MAX_RETRY_AFTER) > 0) {
      return status(code, false, prefix + " and asks to wait " + retryAfter.toSeconds()
          + " s; try again later", null);
    }
    return status(code, true, prefix + "; the server is busy or failing, retrying", retryAfter);
  }

  private static FetchFailure status(int code, boolean retryable, String message,
      @Nullable Duration retryAfter) {
    return new FetchFailure(io.rangefetch.DownloadException.Reason.HTTP_STATUS, retryable,
        message, null, retryAfter, code);
  }

  /** Reads {@code Retry-After} as seconds or as an HTTP date; null when absent or unreadable. */
  static @Nullable Duration retryAfter(ClassicHttpResponse response) {
    Header header = response.getFirstHeader("Retry-After");
    if (header == null || header.getValue() == null) {
      return null;
    }
    String value = header.getValue().trim();
    try {
      if (value.matches("\\d{1,9}")) {
        return Duration.ofSeconds(Long.parseLong(value));
      }
      ZonedDateTime when = ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME);
      Duration wait = Duration.between(ZonedDateTime.now(when.getZone()), when);
      return wait.isNegative() ? Duration.ZERO : wait;
    } catch (DateTimeParseException | ArithmeticException e) {
      return null;
    }
  }
}
