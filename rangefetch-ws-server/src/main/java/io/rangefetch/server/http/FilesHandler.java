package io.rangefetch.server.http;

import io.rangefetch.server.download.DownloadService;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.http.content.ResourceHttpContent;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.ResourceService;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.resource.Resource;
import org.eclipse.jetty.util.resource.ResourceFactory;

/**
 * Serves {@code GET /files/{id}}: the file of a completed download of this server, with byte
 * ranges; 404 for any other id. With a token configured the request must carry it, as files are
 * the user's data. Thread-safe.
 */
public final class FilesHandler {
  private final DownloadService downloads;
  private final TokenCheck token;
  private final ResourceService resources = new ResourceService();

  /**
   * Creates the handler.
   *
   * @param downloads where completed files are looked up
   * @param token the token check
   */
  public FilesHandler(DownloadService downloads, TokenCheck token) {
    this.downloads = Objects.requireNonNull(downloads, "downloads");
    this.token = Objects.requireNonNull(token, "token");
    resources.setAcceptRanges(true);
    resources.setDirAllowed(false);
    resources.setEtags(true);
  }

  void serve(String id, Request request, Response response, Callback callback) {
    if (!token.accepts(request)) {
      response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, "Bearer");
      Response.writeError(request, response, callback, HttpStatus.UNAUTHORIZED_401,
          "a token is required: send it as \"Authorization: Bearer <token>\" or ?token=<token>");
      return;
    }
    Path file = downloads.completedFile(id);
    if (file == null || !Files.isRegularFile(file)) {
      Response.writeError(request, response, callback, HttpStatus.NOT_FOUND_404,
          "no completed download has id \"" + id.replaceAll("[^A-Za-z0-9._-]", "?") + "\"");
      return;
    }
    Resource resource = ResourceFactory.root().newResource(file);
    String name = file.getFileName().toString();
    response.getHeaders().put(HttpHeader.CONTENT_DISPOSITION, "attachment; filename*=UTF-8''"
        + URLEncoder.encode(name, StandardCharsets.UTF_8).replace("+", "%20"));
    resources.doGet(request, response, callback,
        new ResourceHttpContent(resource, DashboardHandler.contentType(name)));
  }
}
