package io.rangefetch.server.cluster;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * How a server joins a cluster: the PostgreSQL database that holds the shared list and queue,
 * the node's name, and the lease of the downloads it claims. Immutable and thread-safe.
 *
 * <pre>{@code
 * ClusterSettings cluster = ClusterSettings.newBuilder("jdbc:postgresql://db:5432/rangefetch?user=rf")
 *     .password(System.getenv("RANGEFETCH_CLUSTER_PASSWORD"))
 *     .nodeId("node-a")
 *     .build();
 * }</pre>
 */
public final class ClusterSettings {
  private final String jdbcUrl;
  private final @Nullable String password;
  private final @Nullable String nodeId;
  private final Duration lease;

  private ClusterSettings(Builder builder) {
    this.jdbcUrl = builder.jdbcUrl;
    this.password = builder.password;
    this.nodeId = builder.nodeId;
    this.lease = builder.lease;
  }

  /**
   * Returns a builder for the database at {@code jdbcUrl}.
   *
   * @param jdbcUrl {@code jdbc:postgresql://HOST[:PORT]/DATABASE[?user=NAME&...]}, without a
   *     password
   * @return a new builder
   * @throws IllegalArgumentException if the URL is not a PostgreSQL JDBC URL or holds a password
   */
  public static Builder newBuilder(String jdbcUrl) {
    return new Builder(jdbcUrl);
  }

  /** @return the JDBC URL, which holds no password. @see #newBuilder(String) */
  public String jdbcUrl() {
    return jdbcUrl;
  }

  /** @return the database password, if one is set. @see Builder#password(String) */
  public Optional<String> password() {
    return Optional.ofNullable(password);
  }

  /** @return the node's name, if one is set. @see Builder#nodeId(String) */
  public Optional<String> nodeId() {
    return Optional.ofNullable(nodeId);
  }

  /** The node's name: the one set, else the host name and {@code port}. */
  String nodeIdOn(int port) {
    return nodeId != null ? nodeId : hostName() + ":" + port;
  }

  /** The base URL of a node whose HTTP server binds to {@code host} and {@code port}. */
  static String nodeUrl(String host, int port) {
    String name = host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]") ? hostName()
        : host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    return "http://" + name + ":" + port + "/";
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      return "localhost";
    }
  }

  /** @return how long a claim lasts unless renewed. @see Builder#lease(Duration) */
  public Duration lease() {
    return lease;
  }

  @Override
  public String toString() {
    // The password is a secret: say only whether there is one.
    return "ClusterSettings{jdbcUrl=" + jdbcUrl + ", password=" + (password == null ? "none"
        : "set") + ", nodeId=" + (nodeId == null ? "host:port" : nodeId) + ", lease=" + lease
        + "}";
  }

  /** Builds {@link ClusterSettings}. Not thread-safe. */
  public static final class Builder {
    private final String jdbcUrl;
    private @Nullable String password;
    private @Nullable String nodeId;
    private Duration lease = Duration.ofSeconds(30);

    private Builder(String jdbcUrl) {
      Objects.requireNonNull(jdbcUrl, "jdbcUrl");
      String url = jdbcUrl.strip();
      if (!url.startsWith("jdbc:postgresql:")) {
        throw new IllegalArgumentException("the store must be a PostgreSQL JDBC URL such as"
            + " jdbc:postgresql://db.example:5432/rangefetch?user=rangefetch");
      }
      if (url.toLowerCase(Locale.ROOT).matches(".*[?&]password=.*")) {
        // Not repeated: the URL holds a secret.
        throw new IllegalArgumentException("the store URL holds a password, which would show in"
            + " process lists and logs; remove it from the URL and set RANGEFETCH_CLUSTER_PASSWORD"
            + " or cluster.password-file instead");
      }
      this.jdbcUrl = url;
    }

    /**
     * Sets the database password.
     *
     * @param password the password, or {@code null} for none (trust or peer authentication).
     *     Default: none.
     * @return this builder
     * @throws IllegalArgumentException if empty
     */
    public Builder password(@Nullable String password) {
      if (password != null && password.isEmpty()) {
        throw new IllegalArgumentException("the database password is empty; leave it unset for"
            + " none");
      }
      this.password = password;
      return this;
    }

    /**
     * Sets the node's name, shown in the status's {@code node} field. Each node of a cluster
     * needs its own: two nodes of one name would take each other's downloads for their own.
     *
     * @param nodeId 1 to 64 letters, digits, {@code .}, {@code _}, {@code :} or {@code -}, or
     *     {@code null} for the default. Default: the host name and the port, {@code host:8765}.
     * @return this builder
     * @throws IllegalArgumentException if not such a name
     */
    public Builder nodeId(@Nullable String nodeId) {
      if (nodeId != null && !nodeId.matches("[A-Za-z0-9._:-]{1,64}")) {
        throw new IllegalArgumentException("a node id is 1 to 64 letters, digits, '.', '_', ':'"
            + " or '-', was \"" + nodeId + "\"; for example node-a");
      }
      this.nodeId = nodeId;
      return this;
    }

    /**
     * Sets how long a node's claim on its downloads lasts without renewal. The node renews it
     * every third of this; another node takes the downloads over once it has lapsed, so this is
     * about how long the downloads of a dead node wait. A node that cannot renew pauses its
     * downloads before it lapses.
     *
     * @param lease from 3 seconds to 1 hour. Default: 30 seconds.
     * @return this builder
     * @throws IllegalArgumentException if out of range
     */
    public Builder lease(Duration lease) {
      Objects.requireNonNull(lease, "lease");
      if (lease.compareTo(Duration.ofSeconds(3)) < 0 || lease.compareTo(Duration.ofHours(1)) > 0) {
        throw new IllegalArgumentException("the lease must be from 3 seconds to 1 hour, was "
            + lease.toSeconds() + " s; 30 s suits most clusters");
      }
      this.lease = lease;
      return this;
    }

    /**
     * Returns the settings.
     *
     * @return immutable settings
     */
    public ClusterSettings build() {
      return new ClusterSettings(this);
    }
  }
}
