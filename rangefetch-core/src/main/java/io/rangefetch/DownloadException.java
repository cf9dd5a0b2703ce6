package io.rangefetch;

import java.io.IOException;
import java.net.URI;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Why a download or a probe failed. The message tells a person what happened and what to do;
 * {@link #reason()} tells a program.
 */
public final class DownloadException extends IOException {
  private static final long serialVersionUID = 1L;

  /** The kind of failure. {@link #code()} is its lower-case name, as the protocol writes it. */
  public enum Reason {
    /** The connection could not be made or broke, and retries did not help. */
    NETWORK,
    /** The server stopped sending for longer than the read timeout, and retries did not help. */
    TIMEOUT,
    /** The server answered with an error status (404, 403, 500 ...). */
    HTTP_STATUS,
    /** The server broke HTTP: a wrong {@code Content-Range}, a bad length, malformed headers. */
    SERVER_MISBEHAVED,
    /** The file changed on the server during the download. */
    RESOURCE_CHANGED,
    /** The complete file does not have the expected SHA-256. */
    CHECKSUM_MISMATCH,
    /** The file could not be written: disk full, no permission, a broken disk. */
    DISK,
    /** The file is larger than {@link Limits#maxFileBytes()}. */
    TOO_LARGE,
    /** A redirect was refused: a loop, too many hops, or a scheme other than http/https. */
    REDIRECT,
    /** The target file exists and the request said {@link IfExists#FAIL}. */
    FILE_EXISTS,
    /** The host resolved to an address the downloader's address filter refuses. */
    ADDRESS_REFUSED,
    /**
     * A bug in rangefetch itself, not the network's or the server's doing: running again is
     * unlikely to help. The message asks for a report.
     */
    INTERNAL,
    /**
     * A request cut short by the download itself: a pause or a cancel, a URL refreshed, a
     * source dropped, work handed to another connection. Only the cause of a
     * {@link DownloadListener#chunkFailed}; never the reason a download fails.
     */
    INTERRUPTED;

    /**
     * Returns the name used in the protocol's {@code error.code}.
     *
     * @return the lower-case name, for example {@code "http_status"}
     */
    public String code() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** The kind of failure. */
  private final Reason reason;
  /** The URI concerned, without credentials. */
  private final URI uri;
  /** The chunk concerned, or null. */
  private final @Nullable ByteRange range;
  /** The HTTP status concerned, or -1. */
  private final int statusCode;
  /** Whether the part file stayed on disk, to be continued by a later run. */
  private final boolean partFileKept;

  /**
   * Creates an exception about a whole download.
   *
   * @param reason the kind of failure
   * @param uri the URI concerned; credentials in it are removed
   * @param message what happened and what to do, for a person
   * @param cause the underlying failure, or {@code null}
   */
  public DownloadException(Reason reason, URI uri, String message, @Nullable Throwable cause) {
    this(reason, uri, message, cause, null, -1);
  }

  /**
   * Creates an exception about one chunk or one response.
   *
   * @param reason the kind of failure
   * @param uri the URI concerned; credentials in it are removed
   * @param message what happened and what to do, for a person
   * @param cause the underlying failure, or {@code null}
   * @param range the chunk concerned, or {@code null}
   * @param statusCode the HTTP status concerned, or {@code -1}
   */
  public DownloadException(Reason reason, URI uri, String message, @Nullable Throwable cause,
      @Nullable ByteRange range, int statusCode) {
    this(reason, uri, message, cause, range, statusCode, false);
  }

  /**
   * Creates the exception a download ends with.
   *
   * @param reason the kind of failure
   * @param uri the URI concerned; credentials in it are removed
   * @param message what happened and what to do, for a person
   * @param cause the underlying failure, or {@code null}
   * @param range the chunk concerned, or {@code null}
   * @param statusCode the HTTP status concerned, or {@code -1}
   * @param partFileKept whether the part file and its record stayed on disk, so that starting
   *     the same download again continues it
   */
  public DownloadException(Reason reason, URI uri, String message, @Nullable Throwable cause,
      @Nullable ByteRange range, int statusCode, boolean partFileKept) {
    super(Objects.requireNonNull(message, "message"), cause);
    this.reason = Objects.requireNonNull(reason, "reason");
    this.uri = DownloadUrls.redact(Objects.requireNonNull(uri, "uri"));
    this.range = range;
    this.statusCode = statusCode;
    this.partFileKept = partFileKept;
  }

  /**
   * Returns whether the failed download's part file stayed on disk with a record of what it
   * holds: then starting the same request again (same URL and target) continues it, as
   * {@code curl -C -} and {@code aria2c -c} do. The engine keeps it after failures that a later
   * run may get past (network, timeout, an error status, a disk problem) when some bytes were
   * recorded; after any other failure the partial data is deleted.
   *
   * @return whether a later run can continue from the bytes on disk
   */
  public boolean partFileKept() {
    return partFileKept;
  }

  /**
   * Returns what happened and what to do, for a person.
   *
   * @return the message, never null
   */
  @Override
  public String getMessage() {
    return Objects.requireNonNull(super.getMessage());
  }

  /**
   * Returns the kind of failure.
   *
   * @return the reason
   */
  public Reason reason() {
    return reason;
  }

  /**
   * Returns the protocol's error code: the reason in lower case.
   *
   * @return for example {@code "network"}
   */
  public String code() {
    return reason.code();
  }

  /**
   * Returns the URI concerned, without credentials.
   *
   * @return the URI
   */
  public URI uri() {
    return uri;
  }

  /**
   * Returns the chunk concerned, if the failure was in one.
   *
   * @return the range, or empty
   */
  public Optional<ByteRange> range() {
    return Optional.ofNullable(range);
  }

  /**
   * Returns the HTTP status concerned, if any.
   *
   * @return the status code, or {@code -1}
   */
  public int statusCode() {
    return statusCode;
  }
}
