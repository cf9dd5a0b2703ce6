package io.rangefetch.server.http;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Serves the dashboard's static files from the classpath folder {@code web/}: {@code GET /} is
 * {@code web/index.html}, {@code GET /web/{name}} is {@code web/{name}}. Thread-safe.
 */
public final class DashboardHandler {
  private static final Pattern PLAIN_NAME = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]*");
  private static final Map<String, String> TYPES = Map.of(
      "html", "text/html; charset=utf-8",
      "js", "text/javascript; charset=utf-8",
      "css", "text/css; charset=utf-8",
      "json", "application/json",
      "svg", "image/svg+xml",
      "png", "image/png",
      "ico", "image/x-icon",
      "txt", "text/plain; charset=utf-8");

  void serve(String name, Request request, Response response, Callback callback)
      throws IOException {
    if (!PLAIN_NAME.matcher(name).matches()) {
      notFound(name, request, response, callback);
      return;
    }
    byte[] body;
    try (InputStream in = DashboardHandler.class.getClassLoader()
        .getResourceAsStream("web/" + name)) {
      if (in == null) {
        notFound(name, request, response, callback);
        return;
      }
      body = in.readAllBytes();
    }
    response.setStatus(HttpStatus.OK_200);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType(name));
    response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
    response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
    boolean head = HttpMethod.HEAD.is(request.getMethod());
    response.write(true, head ? ByteBuffer.allocate(0) : ByteBuffer.wrap(body), callback);
  }

  static String contentType(String name) {
    int dot = name.lastIndexOf('.');
    String ext = dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
    return TYPES.getOrDefault(ext, "application/octet-stream");
  }

  private static void notFound(String name, Request request, Response response,
      Callback callback) {
    Response.writeError(request, response, callback, HttpStatus.NOT_FOUND_404,
        "no dashboard file named \"" + name.replaceAll("[^A-Za-z0-9._/-]", "?") + "\"");
  }
}
