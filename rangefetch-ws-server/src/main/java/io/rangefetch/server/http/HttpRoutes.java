package io.rangefetch.server.http;

import java.util.Objects;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Sends each plain HTTP request to its handler: {@code /} and {@code /web/*} (dashboard),
 * {@code /healthz}, {@code /metrics}, {@code /files/*}; 404 for anything else, 405 for methods
 * other than GET and HEAD. Thread-safe.
 */
public final class HttpRoutes extends Handler.Abstract {
  private final DashboardHandler dashboard;
  private final HealthHandler health;
  private final MetricsHandler metrics;
  private final FilesHandler files;

  /**
   * Creates the routes.
   *
   * @param dashboard the dashboard's files
   * @param health {@code /healthz}
   * @param metrics {@code /metrics}
   * @param files {@code /files/{id}}
   */
  public HttpRoutes(DashboardHandler dashboard, HealthHandler health, MetricsHandler metrics,
      FilesHandler files) {
    this.dashboard = Objects.requireNonNull(dashboard, "dashboard");
    this.health = Objects.requireNonNull(health, "health");
    this.metrics = Objects.requireNonNull(metrics, "metrics");
    this.files = Objects.requireNonNull(files, "files");
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) throws Exception {
    String method = request.getMethod();
    if (!HttpMethod.GET.is(method) && !HttpMethod.HEAD.is(method)) {
      Response.writeError(request, response, callback, HttpStatus.METHOD_NOT_ALLOWED_405,
          method + " is not supported here; use GET");
      return true;
    }
    String path = Request.getPathInContext(request);
    if (path.equals("/") || path.equals("/index.html")) {
      dashboard.serve("index.html", request, response, callback);
    } else if (path.startsWith("/web/")) {
      dashboard.serve(path.substring("/web/".length()), request, response, callback);
    } else if (path.equals("/healthz")) {
      health.serve(response, callback);
    } else if (path.equals("/metrics")) {
      metrics.serve(response, callback);
    } else if (path.startsWith("/files/")) {
      files.serve(path.substring("/files/".length()), request, response, callback);
    } else {
      Response.writeError(request, response, callback, HttpStatus.NOT_FOUND_404,
          "nothing at " + path + "; the dashboard is at /");
    }
    return true;
  }
}
