package io.rangefetch;

import io.rangefetch.internal.CustomHeaders;
import io.rangefetch.internal.ProxyAddress;
import io.rangefetch.internal.Rates;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * One download to start with {@link RangeDownloader#start(DownloadRequest)}. Immutable and
 * thread-safe.
 *
 * <pre>{@code
 * DownloadRequest request = DownloadRequest.intoDirectory(
 *         URI.create("https://example.org/a.iso"), Path.of("downloads"))
 *     .threads(4)
 *     .sha256("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")
 *     .build();
 * }</pre>
 */
public final class DownloadRequest {
  private static final UrlRefresher NO_REFRESH = (download, expired, code) -> Optional.empty();
  private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");

  private final URI uri;
  private final Path target;
  private final TargetKind targetKind;
  private final int threads;
  private final long chunkBytes;
  private final long maxBytesPerSecond;
  private final @Nullable String sha256;
  private final Map<String, String> headers;
  private final IfExists ifExists;
  private final boolean computeSha256;
  private final DownloadListener listener;
  private final @Nullable URI proxy;
  private final List<URI> mirrors;
  private final UrlRefresher urlRefresher;
  private final Optional<URI> formerUri;

  private DownloadRequest(Builder builder) {
    this.uri = builder.uri;
    this.target = builder.target;
    this.targetKind = builder.targetKind;
    this.threads = builder.threads;
    this.chunkBytes = builder.chunkBytes;
    this.maxBytesPerSecond = builder.maxBytesPerSecond;
    this.sha256 = builder.sha256;
    this.headers = Collections.unmodifiableMap(new LinkedHashMap<>(builder.headers));
    this.ifExists = builder.ifExists;
    this.computeSha256 = builder.computeSha256;
    this.listener = builder.listener;
    this.proxy = builder.proxy;
    this.mirrors = List.copyOf(builder.mirrors);
    this.urlRefresher = builder.urlRefresher;
    this.formerUri = Optional.ofNullable(builder.formerUri);
  }

  /**
   * Returns a builder for a download of {@code uri} into {@code target}, which is taken for a
   * directory if one exists there when the download starts, else for the file
   * ({@link TargetKind#AS_FOUND}). Prefer {@link #toFile} or {@link #intoDirectory}, which say
   * which one is meant: in a fresh folder, {@code newBuilder(uri, Path.of("downloads"))} writes
   * a file named {@code downloads}.
   *
   * @param uri absolute {@code http} or {@code https} URI. Credentials in it
   *     ({@code user:pass@host}) are sent as HTTP Basic authentication and never logged.
   * @param target the file to write, or an existing directory: then the file name comes from
   *     the server's {@code Content-Disposition} or the URL, reduced to a safe plain name
   * @return a new builder
   * @throws IllegalArgumentException if {@code uri} is not an absolute http(s) URI with a host
   */
  public static Builder newBuilder(URI uri, Path target) {
    return new Builder(uri, target, TargetKind.AS_FOUND);
  }

  /**
   * Returns a builder for a download of {@code uri} into the file {@code file}.
   *
   * <pre>{@code
   * DownloadRequest.toFile(uri, Path.of("downloads", "ubuntu.iso")).build();
   * }</pre>
   *
   * @param uri absolute {@code http} or {@code https} URI; credentials in it are sent as HTTP
   *     Basic authentication and never logged
   * @param file the file to write; its directory must exist, and an existing directory of this
   *     name fails the download ({@link DownloadException.Reason#FILE_EXISTS})
   * @return a new builder
   * @throws IllegalArgumentException if {@code uri} is not an absolute http(s) URI with a host
   */
  public static Builder toFile(URI uri, Path file) {
    return new Builder(uri, file, TargetKind.FILE);
  }

  /**
   * Returns a builder for a download of {@code uri} into the directory {@code directory}: the
   * file's name comes from the server's {@code Content-Disposition} or the URL, reduced to a
   * safe plain name, and the directory is created when missing.
   *
   * <pre>{@code
   * DownloadRequest.intoDirectory(uri, Path.of("downloads")).build();
   * }</pre>
   *
   * @param uri absolute {@code http} or {@code https} URI; credentials in it are sent as HTTP
   *     Basic authentication and never logged
   * @param directory the directory to write into
   * @return a new builder
   * @throws IllegalArgumentException if {@code uri} is not an absolute http(s) URI with a host
   */
  public static Builder intoDirectory(URI uri, Path directory) {
    return new Builder(uri, directory, TargetKind.DIRECTORY);
  }

  /** {@return the URI to download, as given} */
  public URI uri() {
    return uri;
  }

  /** {@return the file to write, or the directory to pick a name in, as given} */
  public Path target() {
    return target;
  }

  /**
   * Returns whether {@link #target()} is the file or the directory to write into.
   *
   * @return as the builder was made: {@link #toFile}, {@link #intoDirectory} or
   *     {@link #newBuilder} ({@link TargetKind#AS_FOUND})
   */
  public TargetKind targetKind() {
    return targetKind;
  }

  /**
   * Returns the number of parallel requests asked for; empty means the cap.
   *
   * @return the threads asked for
   * @see Builder#threads(int)
   */
  public OptionalInt threads() {
    return threads == 0 ? OptionalInt.empty() : OptionalInt.of(threads);
  }

  /**
   * Returns the largest range request asked for; empty means the cap.
   *
   * @return the chunk size asked for, in bytes
   * @see Builder#chunkBytes(long)
   */
  public OptionalLong chunkBytes() {
    return chunkBytes == 0 ? OptionalLong.empty() : OptionalLong.of(chunkBytes);
  }

  /** {@return the expected SHA-256 of the complete file as 64 lower-case hex digits, if given} */
  public Optional<String> sha256() {
    return Optional.ofNullable(sha256);
  }

  /** {@return the extra request headers, name to value, in the order added; unmodifiable} */
  public Map<String, String> headers() {
    return headers;
  }

  /** {@return what happens when the target file exists} */
  public IfExists ifExists() {
    return ifExists;
  }

  /** {@return whether the SHA-256 of the file is computed} */
  public boolean computeSha256() {
    return computeSha256;
  }

  /** {@return the listener of this download alone, called after the downloader's own} */
  public DownloadListener listener() {
    return listener;
  }

  /**
   * Returns this download's own rate limit at the start; {@link DownloadHandle#limitRate(long)}
   * changes it later. The downloader's limit applies as well.
   *
   * @return bytes per second, or 0 for none
   * @see Builder#maxBytesPerSecond(long)
   */
  public long maxBytesPerSecond() {
    return maxBytesPerSecond;
  }

  /**
   * Returns the proxy of this download alone, as given (with its credentials).
   *
   * @return the proxy URL, or empty for the downloader's
   * @see Builder#proxy(URI)
   */
  public Optional<URI> proxy() {
    return Optional.ofNullable(proxy);
  }

  /** {@return the mirrors, other URLs of the same file, in order} */
  public List<URI> mirrors() {
    return mirrors;
  }

  /** {@return what supplies a fresh URL on a 401, 403 or 410} */
  public UrlRefresher urlRefresher() {
    return urlRefresher;
  }

  /**
   * Returns the URL an earlier download of the same file used.
   *
   * @return that URL, or empty
   * @see Builder#formerUri(URI)
   */
  public Optional<URI> formerUri() {
    return formerUri;
  }

  @Override
  public String toString() {
    return "DownloadRequest{uri=" + DownloadUrls.redact(uri) + ", target=" + target + "}";
  }

  /** Builds a {@link DownloadRequest}. Not thread-safe. */
  public static final class Builder {
    private final URI uri;
    private final Path target;
    private final TargetKind targetKind;
    private int threads;
    private long chunkBytes;
    private long maxBytesPerSecond;
    private @Nullable String sha256;
    private final Map<String, String> headers = new LinkedHashMap<>();
    private IfExists ifExists = IfExists.FAIL;
    private boolean computeSha256 = true;
    private DownloadListener listener = DownloadListener.NONE;
    private @Nullable URI proxy;
    private final List<URI> mirrors = new ArrayList<>();
    private UrlRefresher urlRefresher = NO_REFRESH;
    private @Nullable URI formerUri;

    private Builder(URI uri, Path target, TargetKind targetKind) {
      this.uri = DownloadUrls.check(Objects.requireNonNull(uri, "uri"));
      this.target = Objects.requireNonNull(target, "target");
      this.targetKind = targetKind;
    }

    /**
     * Asks for this many parallel range requests. Above {@link Limits#maxThreads()} the cap
     * applies, and {@link DownloadStatus#maxThreads()} shows it.
     *
     * @param threads at least 1. Default: the cap.
     * @return this builder
     * @throws IllegalArgumentException if {@code threads < 1}
     */
    public Builder threads(int threads) {
      if (threads < 1) {
        throw new IllegalArgumentException(
            "threads must be at least 1, was " + threads + "; use 1 to download sequentially");
      }
      this.threads = threads;
      return this;
    }

    /**
     * Asks for range requests of at most this many bytes. Above
     * {@link Limits#maxBytesPerThread()} the cap applies, and
     * {@link DownloadStatus#chunkBytes()} shows it.
     *
     * @param bytes at least 1. Default: the cap.
     * @return this builder
     * @throws IllegalArgumentException if {@code bytes < 1}
     */
    public Builder chunkBytes(long bytes) {
      if (bytes < 1) {
        throw new IllegalArgumentException("chunkBytes must be at least 1, was " + bytes);
      }
      this.chunkBytes = bytes;
      return this;
    }

    /**
     * Limits this download to {@code bytesPerSecond}, on top of the downloader's limit
     * ({@link Limits#maxBytesPerSecond()}): the lower of the two applies.
     *
     * @param bytesPerSecond 0 for no limit, or at least 1024. Default: 0.
     * @return this builder
     * @throws IllegalArgumentException if {@code bytesPerSecond} is negative or below 1024
     */
    public Builder maxBytesPerSecond(long bytesPerSecond) {
      this.maxBytesPerSecond = Rates.check("maxBytesPerSecond", bytesPerSecond);
      return this;
    }

    /**
     * Sets the SHA-256 the complete file must have; a mismatch fails the download with
     * {@link DownloadException.Reason#CHECKSUM_MISMATCH} and removes the file.
     *
     * @param hex 64 hex digits, either case. Default: none, nothing is checked.
     * @return this builder
     * @throws IllegalArgumentException if {@code hex} is not 64 hex digits
     */
    public Builder sha256(String hex) {
      String lower = Objects.requireNonNull(hex, "hex").toLowerCase(Locale.ROOT);
      if (!SHA256_HEX.matcher(lower).matches()) {
        throw new IllegalArgumentException(
            "sha256 must be 64 hex digits, was \"" + hex + "\" (" + hex.length() + " characters)");
      }
      this.sha256 = lower;
      return this;
    }

    /**
     * Adds a header to every request of this download, for example a cookie or a token.
     * {@code Authorization}, {@code Cookie} and {@code Proxy-Authorization} are sent only to the
     * origin (scheme, host, port) of the request's URI, not after a redirect to another one.
     *
     * @param name a header name other than those the downloader sets itself ({@code Range},
     *     {@code If-Range}, {@code Accept-Encoding}, {@code Host}, {@code Content-Length},
     *     {@code Transfer-Encoding}, {@code Connection})
     * @param value the value, without line breaks
     * @return this builder
     * @throws IllegalArgumentException if the name is reserved or either part is malformed
     */
    public Builder header(String name, String value) {
      CustomHeaders.check(name, value);
      headers.put(name, value);
      return this;
    }

    /**
     * Sends this download through {@code proxy} instead of the downloader's
     * ({@link RangeDownloader.Builder#proxy(URI)}, which documents the forms): {@code http://},
     * {@code socks5://} or {@code socks5h://}, with optional {@code user:password@}.
     *
     * @param proxy the proxy URL. Default: the downloader's proxy, or none.
     * @return this builder
     * @throws IllegalArgumentException if it is not such a proxy URL
     */
    public Builder proxy(URI proxy) {
      ProxyAddress.parse(Objects.requireNonNull(proxy, "proxy"));
      this.proxy = proxy;
      return this;
    }

    /**
     * Sets what happens when the target file exists.
     *
     * @param policy the policy. Default: {@link IfExists#FAIL}.
     * @return this builder
     */
    public Builder ifExists(IfExists policy) {
      this.ifExists = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /**
     * Sets whether to compute the SHA-256 of the file for {@link DownloadResult#sha256()}. It is
     * computed while the download runs, from the part of the file already written, so it costs
     * CPU but little time; turn it off when nobody reads it.
     *
     * @param compute whether to compute it. Default: {@code true}. It cannot be turned off
     *     together with an expected {@link #sha256(String)}.
     * @return this builder
     */
    public Builder computeSha256(boolean compute) {
      this.computeSha256 = compute;
      return this;
    }

    /**
     * Sets a listener for this download alone.
     *
     * @param listener the listener. Default: {@link DownloadListener#NONE}.
     * @return this builder
     */
    public Builder listener(DownloadListener listener) {
      this.listener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /**
     * Adds a mirror: another URL of the same file. The download starts on the request's URI
     * at once; each mirror is checked meanwhile, and its bytes are used only once it is shown
     * to serve the same file (same length; the same {@code ETag} and {@code Last-Modified}
     * where both give them). Connections are then spread over the sources, and faster ones get
     * more of the work. A mirror that fails or lies is dropped with a note
     * ({@link DownloadStatus#sources()}) and the download goes on with the others; it fails
     * only when no source is left. The caps hold over all sources together: at most
     * {@link #threads(int)} requests at once, each of at most {@link #chunkBytes(long)}, and
     * {@link Limits#maxConnectionsPerHost()} per host. A server without ranges is read from
     * the request's URI alone.
     *
     * @param mirror absolute {@code http} or {@code https} URI, not the request's own nor one
     *     added before. Default: none.
     * @return this builder
     * @throws IllegalArgumentException if {@code mirror} is not an absolute http(s) URI with a
     *     host, or is given twice
     */
    public Builder mirror(URI mirror) {
      List<URI> all = new ArrayList<>(mirrors);
      all.add(Objects.requireNonNull(mirror, "mirror"));
      DownloadUrls.checkMirrors(uri, all);
      mirrors.add(mirror);
      return this;
    }

    /**
     * Adds mirrors, as {@link #mirror(URI)} does for each.
     *
     * @param mirrors the mirrors, in order
     * @return this builder
     * @throws IllegalArgumentException as {@link #mirror(URI)}
     */
    public Builder mirrors(List<URI> mirrors) {
      Objects.requireNonNull(mirrors, "mirrors").forEach(this::mirror);
      return this;
    }

    /**
     * Sets what supplies a fresh URL when a source answers 401, 403 or 410 during the
     * download, as signed links that expire do. The bytes already fetched are kept when the
     * fresh URL serves the same file.
     *
     * @param refresher the refresher. Default: none, such an answer fails the source.
     * @return this builder
     */
    public Builder urlRefresher(UrlRefresher refresher) {
      this.urlRefresher = Objects.requireNonNull(refresher, "refresher");
      return this;
    }

    /**
     * Names the URL an earlier download into the same target used, when this one continues it
     * from a new URL (a signed link issued anew, a file that moved, a failed download given a
     * new URL). The part file that download left is continued when this request's URI serves
     * the same file: the same length, and the same {@code ETag} and {@code Last-Modified} where
     * both give them; otherwise the download starts over, and the first of
     * {@link DownloadStatus#sources()} says why. Without it, a part file of another URL is never
     * continued.
     *
     * @param former the earlier download's URI. Default: none.
     * @return this builder
     * @throws IllegalArgumentException if {@code former} is not an absolute http(s) URI
     */
    public Builder formerUri(URI former) {
      this.formerUri = DownloadUrls.check(Objects.requireNonNull(former, "former"));
      return this;
    }

    /**
     * Returns the request.
     *
     * @return an immutable request
     * @throws IllegalArgumentException if an expected sha256 is set with computeSha256(false)
     */
    public DownloadRequest build() {
      if (sha256 != null && !computeSha256) {
        throw new IllegalArgumentException("an expected sha256 is set but computeSha256 is false;"
            + " the digest is needed to check the file");
      }
      return new DownloadRequest(this);
    }
  }
}
