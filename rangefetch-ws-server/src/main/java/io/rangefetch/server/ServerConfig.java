package io.rangefetch.server;

import io.rangefetch.Limits;
import io.rangefetch.server.cluster.ClusterSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The settings of one {@link RangefetchServer}. Immutable and thread-safe.
 *
 * <p>The same settings are read from {@code rangefetch.properties}, {@code RANGEFETCH_*}
 * environment variables and command-line flags by {@link Main}; docs/configuration.md lists the
 * keys.
 *
 * <pre>{@code
 * ServerConfig config = ServerConfig.newBuilder()
 *     .port(0)
 *     .downloadDir(Path.of("downloads"))
 *     .limits(Limits.newBuilder().maxThreads(4).build())
 *     .build();
 * }</pre>
 */
public final class ServerConfig {
  private final String host;
  private final int port;
  private final Path downloadDir;
  private final Limits limits;
  private final @Nullable String token;
  private final List<String> allowedOrigins;
  private final int maxMessageBytes;
  private final boolean blockPrivateNetworks;
  private final int maxSessions;
  private final int maxDownloads;
  private final java.net.@Nullable URI proxy;
  private final int maxFinished;
  private final Duration idleTimeout;
  private final boolean rpcAllowShutdown;
  private final @Nullable ClusterSettings cluster;

  private ServerConfig(Builder builder) {
    this.host = builder.host;
    this.port = builder.port;
    this.downloadDir = builder.downloadDir.toAbsolutePath().normalize();
    this.limits = builder.limits;
    this.token = builder.token;
    this.allowedOrigins = List.copyOf(builder.allowedOrigins);
    this.maxMessageBytes = builder.maxMessageBytes;
    this.blockPrivateNetworks = builder.blockPrivateNetworks;
    this.maxSessions = builder.maxSessions;
    this.maxDownloads = builder.maxDownloads;
    this.proxy = builder.proxy;
    this.maxFinished = builder.maxFinished;
    this.idleTimeout = builder.idleTimeout;
    this.rpcAllowShutdown = builder.rpcAllowShutdown;
    this.cluster = builder.cluster;
  }

  /**
   * Returns the settings with every default.
   *
   * @return the default settings
   */
  public static ServerConfig defaults() {
    return newBuilder().build();
  }

  /**
   * Returns a builder holding the defaults.
   *
   * @return a new builder
   */
  public static Builder newBuilder() {
    return new Builder();
  }

  /**
   * Returns a builder holding these settings.
   *
   * @return a new builder
   */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.host = host;
    b.port = port;
    b.downloadDir = downloadDir;
    b.limits = limits;
    b.token = token;
    b.allowedOrigins = allowedOrigins;
    b.maxMessageBytes = maxMessageBytes;
    b.blockPrivateNetworks = blockPrivateNetworks;
    b.maxSessions = maxSessions;
    b.maxDownloads = maxDownloads;
    b.proxy = proxy;
    b.maxFinished = maxFinished;
    b.idleTimeout = idleTimeout;
    b.rpcAllowShutdown = rpcAllowShutdown;
    b.cluster = cluster;
    return b;
  }

  /** @return the address to bind to. @see Builder#host(String) */
  public String host() {
    return host;
  }

  /** @return the port to listen on, 0 for a free one. @see Builder#port(int) */
  public int port() {
    return port;
  }

  /** @return the absolute, normalised download directory. @see Builder#downloadDir(Path) */
  public Path downloadDir() {
    return downloadDir;
  }

  /** @return the caps of every download. @see Builder#limits(Limits) */
  public Limits limits() {
    return limits;
  }

  /** @return the token WebSocket clients must present, if one is set. @see Builder#token */
  public Optional<String> token() {
    return Optional.ofNullable(token);
  }

  /** @return the browser origins allowed besides the server's own. @see Builder#allowedOrigins */
  public List<String> allowedOrigins() {
    return allowedOrigins;
  }

  /** @return the largest text message accepted, in bytes. @see Builder#maxMessageBytes(int) */
  public int maxMessageBytes() {
    return maxMessageBytes;
  }

  /** @return whether private addresses are refused. @see Builder#blockPrivateNetworks */
  public boolean blockPrivateNetworks() {
    return blockPrivateNetworks;
  }

  /** @return the most WebSocket sessions open at once. @see Builder#maxSessions(int) */
  public int maxSessions() {
    return maxSessions;
  }

  /** @return the proxy of every download, if any. @see Builder#proxy(java.net.URI) */
  public Optional<java.net.URI> proxy() {
    return Optional.ofNullable(proxy);
  }

  /** @return the most unfinished downloads the server keeps. @see Builder#maxDownloads(int) */
  public int maxDownloads() {
    return maxDownloads;
  }

  /** @return the most finished downloads the list keeps. @see Builder#maxFinished(int) */
  public int maxFinished() {
    return maxFinished;
  }

  /** @return how long a silent session stays open. @see Builder#idleTimeout(Duration) */
  public Duration idleTimeout() {
    return idleTimeout;
  }

  /** @return the cluster this server is a node of, if any. @see Builder#cluster */
  public Optional<ClusterSettings> cluster() {
    return Optional.ofNullable(cluster);
  }

  /**
   * Returns whether aria2's {@code aria2.shutdown} over {@code /jsonrpc} may stop the server.
   *
   * @return the setting
   * @see Builder#rpcAllowShutdown(boolean)
   */
  public boolean rpcAllowShutdown() {
    return rpcAllowShutdown;
  }

  /**
   * Returns whether the server binds to a loopback address only, where the {@code Host} header is
   * checked against DNS rebinding.
   *
   * @return {@code true} for {@code 127.x.x.x}, {@code ::1} and {@code localhost}
   */
  public boolean isLoopback() {
    String h = host.toLowerCase(Locale.ROOT);
    return h.equals("localhost") || h.startsWith("127.") || h.equals("::1") || h.equals("[::1]");
  }

  @Override
  public String toString() {
    // The token is a secret: say only whether there is one.
    return "ServerConfig{host=" + host + ", port=" + port + ", downloadDir=" + downloadDir
        + ", limits=" + limits + ", token=" + (token == null ? "none" : "set")
        + ", allowedOrigins=" + allowedOrigins + ", maxMessageBytes=" + maxMessageBytes
        + ", blockPrivateNetworks=" + blockPrivateNetworks + ", maxSessions=" + maxSessions
        + ", maxDownloads=" + maxDownloads + ", maxFinished=" + maxFinished
        + ", idleTimeout=" + idleTimeout
        + ", rpcAllowShutdown=" + rpcAllowShutdown
        // The proxy's credentials are secret: only where it is.
        + (proxy == null ? "" : ", proxy=" + proxy.getScheme() + "://" + proxy.getHost() + ":"
            + proxy.getPort())
        + (cluster == null ? "" : ", cluster=" + cluster) + "}";
  }

  /** Builds a {@link ServerConfig}. Not thread-safe. */
  public static final class Builder {
    private String host = "127.0.0.1";
    private int port = 8765;
    private Path downloadDir = Path.of("downloads");
    private Limits limits = Limits.defaults();
    private @Nullable String token;
    private List<String> allowedOrigins = List.of();
    private int maxMessageBytes = 64 * 1024;
    private boolean blockPrivateNetworks;
    private int maxSessions = 64;
    private int maxDownloads = 1000;
    private java.net.@Nullable URI proxy;
    private int maxFinished = 1000;
    private Duration idleTimeout = Duration.ofMinutes(5);
    private boolean rpcAllowShutdown;
    private @Nullable ClusterSettings cluster;

    private Builder() {}

    /**
     * Sets the address to bind to. Anything but loopback exposes the server to the network: set
     * a token then.
     *
     * @param host an IP address or host name. Default: {@code 127.0.0.1}.
     * @return this builder
     * @throws IllegalArgumentException if blank
     */
    public Builder host(String host) {
      Objects.requireNonNull(host, "host");
      if (host.isBlank()) {
        throw new IllegalArgumentException("host must not be blank; use 127.0.0.1 for this machine only");
      }
      this.host = host.strip();
      return this;
    }

    /**
     * Sets the port.
     *
     * @param port 0 to 65535; 0 picks a free port, see {@link RangefetchServer#port()}. Default:
     *     8765.
     * @return this builder
     * @throws IllegalArgumentException if out of range
     */
    public Builder port(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException(
            "port must be between 0 and 65535, was " + port + "; use 0 for a free port");
      }
      this.port = port;
      return this;
    }

    /**
     * Sets where downloaded files and the server's state file go. Created at start if missing.
     *
     * @param dir a directory. Default: {@code ./downloads}.
     * @return this builder
     */
    public Builder downloadDir(Path dir) {
      this.downloadDir = Objects.requireNonNull(dir, "dir");
      return this;
    }

    /**
     * Sets the caps of every download: threads, bytes per request, downloads at once.
     *
     * @param limits the caps. Default: {@link Limits#defaults()}.
     * @return this builder
     */
    public Builder limits(Limits limits) {
      this.limits = Objects.requireNonNull(limits, "limits");
      return this;
    }

    /**
     * Sets the token a WebSocket upgrade (and a {@code /files} request) must carry as
     * {@code Authorization: Bearer} or {@code ?token=}.
     *
     * @param token the secret, or {@code null} for none. Default: none.
     * @return this builder
     * @throws IllegalArgumentException if blank or with whitespace
     */
    public Builder token(@Nullable String token) {
      if (token != null && (token.isBlank() || !token.strip().equals(token) || token.contains(" "))) {
        throw new IllegalArgumentException(
            "token must be non-blank and without spaces; leave it unset to run without a token");
      }
      this.token = token;
      return this;
    }

    /**
     * Sets the browser origins allowed to open WebSockets, besides the server's own.
     *
     * @param origins origins such as {@code https://example.org}, or {@code *} for any. Default:
     *     none.
     * @return this builder
     * @throws IllegalArgumentException if an origin is not {@code *} nor {@code scheme://host[:port]}
     */
    public Builder allowedOrigins(List<String> origins) {
      Objects.requireNonNull(origins, "origins");
      for (String origin : origins) {
        Objects.requireNonNull(origin, "origin");
        if (!origin.equals("*") && !origin.matches("(?i)https?://[^/\\s]+/?")) {
          throw new IllegalArgumentException("allowed origin must be * or scheme://host[:port], was \""
              + origin + "\"; for example https://example.org");
        }
      }
      this.allowedOrigins = List.copyOf(origins);
      return this;
    }

    /**
     * Sets the largest text message accepted. A larger one gets a {@code limit} error and the
     * connection is closed with 1009.
     *
     * @param bytes between 1024 and 16 MiB. Default: 64 KiB.
     * @return this builder
     * @throws IllegalArgumentException if out of range
     */
    public Builder maxMessageBytes(int bytes) {
      if (bytes < 1024 || bytes > 16 * 1024 * 1024) {
        throw new IllegalArgumentException(
            "maxMessageBytes must be between 1024 and 16777216, was " + bytes);
      }
      this.maxMessageBytes = bytes;
      return this;
    }

    /**
     * Refuses URLs whose host resolves to a loopback, private, link-local or cloud metadata
     * address, on every redirect hop. For a server shared by many users.
     *
     * @param block whether to refuse. Default: {@code false}.
     * @return this builder
     */
    public Builder blockPrivateNetworks(boolean block) {
      this.blockPrivateNetworks = block;
      return this;
    }

    /**
     * Sets the most WebSocket sessions open at once; more upgrades get HTTP 503.
     *
     * @param max at least 1. Default: 64.
     * @return this builder
     * @throws IllegalArgumentException if below 1
     */
    public Builder maxSessions(int max) {
      if (max < 1) {
        throw new IllegalArgumentException("maxSessions must be at least 1, was " + max);
      }
      this.maxSessions = max;
      return this;
    }

    /**
     * Sends every download through a proxy; see
     * {@link io.rangefetch.RangeDownloader.Builder#proxy(java.net.URI)} for the forms.
     *
     * @param proxy {@code http://}, {@code socks5://} or {@code socks5h://} with a host, an
     *     optional port and {@code user:password@}. Default: none, direct connections.
     * @return this builder
     * @throws IllegalArgumentException if it is not such a proxy URL
     */
    public Builder proxy(java.net.URI proxy) {
      io.rangefetch.RangeDownloader.newBuilder().proxy(Objects.requireNonNull(proxy, "proxy"));
      this.proxy = proxy;
      return this;
    }

    /**
     * Sets the most unfinished downloads (queued, running or paused) the server keeps; an
     * {@code add} beyond gets a {@code limit} error until some finish or are removed. Finished
     * downloads do not count: {@link #maxFinished(int)} keeps their number down.
     *
     * @param max at least 1. Default: 1000.
     * @return this builder
     * @throws IllegalArgumentException if below 1
     */
    public Builder maxDownloads(int max) {
      if (max < 1) {
        throw new IllegalArgumentException("maxDownloads must be at least 1, was " + max);
      }
      this.maxDownloads = max;
      return this;
    }

    /**
     * Sets the most finished downloads (completed, failed, cancelled) the list keeps, as aria2's
     * {@code max-download-result}: when one more finishes, the one that finished first leaves
     * the list (its file stays on disk) and clients get a {@code removed} push.
     *
     * @param max 0 (a download leaves the list as soon as it finishes) to 1000000. Default: 1000.
     * @return this builder
     * @throws IllegalArgumentException if negative or above 1000000
     */
    public Builder maxFinished(int max) {
      if (max < 0 || max > 1_000_000) {
        throw new IllegalArgumentException("maxFinished must be between 0 and 1000000, was " + max
            + "; the list of finished downloads lives in memory");
      }
      this.maxFinished = max;
      return this;
    }

    /**
     * Sets how long a session may stay silent before it is closed. The server pings every session
     * at a third of this, so a client that answers pings is never closed.
     *
     * @param timeout at least 1 second. Default: 5 minutes.
     * @return this builder
     * @throws IllegalArgumentException if shorter than 1 second
     */
    public Builder idleTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "timeout");
      if (timeout.compareTo(Duration.ofSeconds(1)) < 0) {
        throw new IllegalArgumentException("idleTimeout must be at least 1 second, was " + timeout);
      }
      this.idleTimeout = timeout;
      return this;
    }

    /**
     * Lets an aria2 JSON-RPC client stop the server with {@code aria2.shutdown} or
     * {@code aria2.forceShutdown} (with the token, when one is set). Refused otherwise, so a web
     * UI cannot stop a server that others use.
     *
     * @param allow whether to allow it. Default: {@code false}.
     * @return this builder
     */
    public Builder rpcAllowShutdown(boolean allow) {
      this.rpcAllowShutdown = allow;
      return this;
    }

    /**
     * Makes the server a node of a cluster: the list, the queue and each download's state live
     * in PostgreSQL, shared with the other nodes, instead of the local state file
     * (docs/cluster.md). {@code maxDownloads} then counts the downloads of the whole cluster.
     *
     * @param cluster the database and the node's name, or {@code null} for a server on its own.
     *     Default: none.
     * @return this builder
     */
    public Builder cluster(@Nullable ClusterSettings cluster) {
      this.cluster = cluster;
      return this;
    }

    /**
     * Returns the settings.
     *
     * @return immutable settings
     */
    public ServerConfig build() {
      return new ServerConfig(this);
    }
  }
}
