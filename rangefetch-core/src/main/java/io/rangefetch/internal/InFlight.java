package io.rangefetch.internal;

import java.io.IOException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hc.client5.http.classic.methods.HttpGet;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.protocol.HttpContext;
import org.jspecify.annotations.Nullable;

/**
 * The requests of one download that are on the wire, so that pause and cancel can abort them
 * at once: an aborted request closes its connection and its blocked read fails. Thread-safe.
 */
final class InFlight {
  private final Set<HttpGet> requests = ConcurrentHashMap.newKeySet();
  private volatile boolean aborting;

  /** Sends {@code get}; the response must be closed by the caller through {@link Open}. */
  Open execute(CloseableHttpClient client, HttpGet get) throws IOException {
    return execute(client, get, null);
  }

  /** Sends {@code get} with {@code context}; the response must be closed through {@link Open}. */
  Open execute(CloseableHttpClient client, HttpGet get, @Nullable HttpContext context)
      throws IOException {
    requests.add(get);
    // Checked after add: an abort that ran between the two would otherwise miss this request.
    if (aborting) {
      get.cancel();
    }
    try {
      return new Open(get, client.executeOpen(null, get, context));
    } catch (IOException | RuntimeException e) {
      requests.remove(get);
      throw e;
    }
  }

  /** Aborts every request on the wire, and every request sent until {@link #reset}. */
  void abortAll() {
    aborting = true;
    for (HttpGet get : requests) {
      get.cancel();
    }
  }

  /** Lets requests go out again, after a pause. */
  void reset() {
    aborting = false;
  }

  /** A response being read. Closing it after a partial read drops the connection. */
  final class Open implements AutoCloseable {
    final HttpGet request;
    final ClassicHttpResponse response;

    Open(HttpGet request, ClassicHttpResponse response) {
      this.request = request;
      this.response = response;
    }

    int code() {
      return response.getCode();
    }

    /** Drops the connection without reading the rest of the body. */
    void abort() {
      request.cancel();
    }

    /** Drops the connection and forgets the response: nothing more is read from it. */
    void discard() {
      abort();
      close();
    }

    @Override
    public void close() {
      requests.remove(request);
      try {
        response.close();
      } catch (IOException e) {
        request.cancel();
      }
    }
  }
}
