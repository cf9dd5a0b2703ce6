package io.rangefetch.server.cluster;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.util.Properties;

/**
 * How a node connects to the cluster's database: the driver's settings (for the pool and for the
 * notification feed's own connection) and the pool. The password goes where the driver and the
 * pool keep it out of messages and logs.
 */
final class DatabaseConnections {
  private DatabaseConnections() {}

  /** The PostgreSQL driver's properties of a node's connections, password included. */
  static Properties driverProperties(ClusterSettings settings, String nodeId) {
    Properties properties = new Properties();
    settings.password().ifPresent(p -> properties.setProperty("password", p));
    properties.setProperty("ApplicationName", "rangefetch " + nodeId);
    properties.setProperty("tcpKeepAlive", "true");
    properties.setProperty("connectTimeout", "10");
    // Keeps parameter values (URLs with their credentials) out of error messages and logs.
    properties.setProperty("logServerErrorDetail", "false");
    return properties;
  }

  /** Opens the node's pool of {@code size} connections. */
  static HikariDataSource pool(ClusterSettings settings, String nodeId, Properties properties,
      int size) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(settings.jdbcUrl());
    Properties pooled = new Properties();
    pooled.putAll(properties);
    pooled.remove("password");
    config.setDataSourceProperties(pooled);
    // Given to the pool as its password, which it masks wherever it logs its settings.
    settings.password().ifPresent(config::setPassword);
    config.setPoolName("rangefetch-" + nodeId);
    config.setMaximumPoolSize(size);
    config.setMinimumIdle(1);
    // Shorter than a third of the lease: a renewal waiting for a connection must fail in time
    // for the node to park its downloads before the lease lapses.
    config.setConnectionTimeout(Math.max(250, settings.lease().toMillis() / 4));
    return new HikariDataSource(config);
  }
}
