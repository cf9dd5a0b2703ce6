package io.rangefetch.server.http;

import io.rangefetch.server.protocol.Replies;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Answers {@code GET /healthz} with 200 and a small JSON body; in a cluster, with 503 while the
 * database does not answer. Thread-safe.
 */
public final class HealthHandler {
  private final String version;
  private final IntSupplier downloads;
  private final IntSupplier sessions;
  private final BooleanSupplier store;

  /**
   * Creates the handler.
   *
   * @param version the project version
   * @param downloads counts the downloads known
   * @param sessions counts the open sessions
   */
  public HealthHandler(String version, IntSupplier downloads, IntSupplier sessions) {
    this(version, downloads, sessions, () -> true);
  }

  /**
   * Creates the handler of a node of a cluster.
   *
   * @param version the project version
   * @param downloads counts the downloads known
   * @param sessions counts the open sessions
   * @param store tells whether the cluster's database answers
   */
  public HealthHandler(String version, IntSupplier downloads, IntSupplier sessions,
      BooleanSupplier store) {
    this.version = version;
    this.downloads = downloads;
    this.sessions = sessions;
    this.store = store;
  }

  void serve(Response response, Callback callback) {
    if (!store.getAsBoolean()) {
      byte[] body = Replies.unhealthy(version, "the cluster's database does not answer; this"
          + " node claims no new download until it does").getBytes(StandardCharsets.UTF_8);
      response.setStatus(HttpStatus.SERVICE_UNAVAILABLE_503);
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
      response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
      response.write(true, ByteBuffer.wrap(body), callback);
      return;
    }
    byte[] body = Replies.health(version, downloads.getAsInt(), sessions.getAsInt())
        .getBytes(StandardCharsets.UTF_8);
    response.setStatus(HttpStatus.OK_200);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
    response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
    response.write(true, ByteBuffer.wrap(body), callback);
  }
}
