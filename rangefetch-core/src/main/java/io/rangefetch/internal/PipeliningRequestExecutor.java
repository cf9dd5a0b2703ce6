package io.rangefetch.internal;

import java.io.IOException;
import org.apache.hc.client5.http.io.ManagedHttpClientConnection;
import org.apache.hc.core5.http.ClassicHttpRequest;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.HttpException;
import org.apache.hc.core5.http.HttpHeaders;
import org.apache.hc.core5.http.io.HttpClientConnection;
import org.apache.hc.core5.http.io.HttpResponseInformationCallback;
import org.apache.hc.core5.http.impl.io.HttpRequestExecutor;
import org.apache.hc.core5.http.protocol.HttpContext;

/**
 * HttpClient's last step, where a request meets its connection: a GET that carries a
 * {@link ConnectionSession} in its context hands the connection to that session, which sends
 * several range requests on it, one ahead of the response being read. Every other exchange
 * (the probe, proxy tunnels) goes through HttpClient's own executor.
 *
 * <p>So HttpClient still opens, pools, tunnels and closes the connections, and only the
 * exchanges of one connection's range requests are ours. HttpClient's classic API has no
 * pipelining of its own.
 */
final class PipeliningRequestExecutor extends HttpRequestExecutor {
  /** The context attribute that holds the session of a request. */
  static final String SESSION = "io.rangefetch.session";
  /**
   * The context attribute that holds the receive buffer, in bytes, of a rate-limited request
   * HttpClient sends itself (the probe): as a {@link ConnectionSession} does, its socket gets a
   * small buffer, so the server sees the rate rather than a burst into the kernel's buffer, and
   * the connection is not pooled afterwards.
   */
  static final String RECEIVE_BUFFER = "io.rangefetch.receiveBuffer";

  @Override
  public ClassicHttpResponse execute(ClassicHttpRequest request, HttpClientConnection conn,
      HttpResponseInformationCallback informationCallback, HttpContext context)
      throws IOException, HttpException {
    Object session = context.getAttribute(SESSION);
    if (session instanceof ConnectionSession own && "GET".equals(request.getMethod())
        && own.claimConnection()) {
      return own.run(request, conn);
    }
    if (context.getAttribute(RECEIVE_BUFFER) instanceof Integer size
        && conn instanceof ManagedHttpClientConnection managed && managed.getSocket() != null) {
      managed.getSocket().setReceiveBufferSize(size);
      ClassicHttpResponse response = super.execute(request, conn, informationCallback, context);
      // Its small buffer would hold a later, unlimited download back: HttpClient closes it.
      response.setHeader(HttpHeaders.CONNECTION, "close");
      return response;
    }
    return super.execute(request, conn, informationCallback, context);
  }
}
