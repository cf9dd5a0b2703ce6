package io.rangefetch.internal;

import io.rangefetch.ByteRange;
import io.rangefetch.DownloadException.Reason;
import io.rangefetch.DownloadUrls;
import io.rangefetch.Probe;
import io.rangefetch.RangeSupport;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.hc.client5.http.classic.methods.HttpGet;
import org.apache.hc.client5.http.protocol.HttpClientContext;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpEntity;
import org.jspecify.annotations.Nullable;

/**
 * Sends a download's first request, a ranged GET of the first chunk, follows its redirects,
 * and reads from the answer whether ranges really work. The answer's body is left unread: it
 * is the first chunk, or the whole file.
 */
final class Prober {
  private final int maxRedirects;

  Prober(int maxRedirects) {
    this.maxRedirects = maxRedirects;
  }

  /**
   * Opens {@code first} of {@code uri}, or the whole file when {@code first} is null.
   *
   * @throws FetchFailure if no usable response came; its reason says why
   */
  FirstResponse open(URI uri, @Nullable ByteRange first, Requests requests, InFlight inFlight)
      throws FetchFailure {
    return open(uri, first, requests, inFlight, 0);
  }

  /**
   * As {@link #open(URI, ByteRange, Requests, InFlight)}, on connections whose receive buffer is
   * {@code receiveBuffer} bytes (a rate-limited download's), or the system's when 0.
   */
  FirstResponse open(URI uri, @Nullable ByteRange first, Requests requests, InFlight inFlight,
      int receiveBuffer) throws FetchFailure {
    HttpClientContext context = null;
    if (receiveBuffer > 0) {
      context = HttpClientContext.create();
      context.setAttribute(PipeliningRequestExecutor.RECEIVE_BUFFER, receiveBuffer);
    }
    InFlight.Open open = follow(uri, first, requests, inFlight, context);
    try {
      return read(open, first);
    } catch (FetchFailure | RuntimeException e) {
      open.abort();
      open.close();
      throw e;
    }
  }

  private InFlight.Open follow(URI start, @Nullable ByteRange first, Requests requests,
      InFlight inFlight, @Nullable HttpClientContext context) throws FetchFailure {
    Set<URI> visited = new LinkedHashSet<>();
    URI uri = start;
    while (true) {
      visited.add(uri);
      HttpGet get = first == null ? requests.plain(uri) : requests.ranged(uri, first, null);
      String what = Requests.describe(uri, first);
      InFlight.Open open;
      try {
        open = inFlight.execute(requests.client(), get, context);
      } catch (IOException | RuntimeException e) {
        throw FailureClassifier.classify(e, what);
      }
      if (!isRedirect(open.code())) {
        return open;
      }
      Header location = open.response.getFirstHeader("Location");
      open.abort();
      open.close();
      if (location == null || location.getValue() == null || location.getValue().isBlank()) {
        throw FetchFailure.fatal(Reason.REDIRECT, what + " returned " + open.code()
            + " without a Location header; the server is misconfigured");
      }
      URI next = resolve(uri, location.getValue(), what);
      if (visited.contains(next)) {
        throw FetchFailure.fatal(Reason.REDIRECT, "redirect loop: " + chain(visited, next)
            + "; the server is misconfigured");
      }
      if (visited.size() > maxRedirects) {
        throw FetchFailure.fatal(Reason.REDIRECT, "more than " + maxRedirects + " redirects: "
            + chain(visited, next) + "; the server is misconfigured");
      }
      uri = next;
    }
  }

  private static boolean isRedirect(int code) {
    return code == 301 || code == 302 || code == 303 || code == 307 || code == 308;
  }

  private static URI resolve(URI base, String location, String what) throws FetchFailure {
    URI next;
    try {
      next = base.resolve(new URI(location.trim()));
    } catch (URISyntaxException | IllegalArgumentException e) {
      throw FetchFailure.fatal(Reason.REDIRECT,
          what + " redirected to an unparseable location: " + e.getMessage());
    }
    if (!DownloadUrls.isDownloadable(next)) {
      throw FetchFailure.fatal(Reason.REDIRECT, what + " redirected to " + DownloadUrls.redact(next)
          + ", which is not an http or https URL; rangefetch follows only http(s) redirects");
    }
    return next;
  }

  private static String chain(Set<URI> visited, URI next) {
    List<String> hops = new ArrayList<>();
    for (URI hop : visited) {
      hops.add(DownloadUrls.redact(hop).toString());
    }
    hops.add(DownloadUrls.redact(next).toString());
    return String.join(" -> ", hops);
  }

  private static FirstResponse read(InFlight.Open open, @Nullable ByteRange first)
      throws FetchFailure {
    ClassicHttpResponse response = open.response;
    URI uri;
    try {
      uri = open.request.getUri();
    } catch (URISyntaxException e) {
      throw FetchFailure.fatal(Reason.SERVER_MISBEHAVED, "unusable URI: " + e.getMessage());
    }
    int code = response.getCode();
    String etag = header(response, "ETag");
    String lastModified = header(response, "Last-Modified");
    String fileName = FileNames.choose(
        response.getFirstHeader("Content-Disposition") == null ? null
            : response.getFirstHeader("Content-Disposition").getValue(), uri);
    long contentLength = contentLength(response);
    if (code == 206 && first != null) {
      ContentRange range = ContentRange.parse(header(response, "Content-Range")).orElse(null);
      ByteRange got = range == null ? null : range.range();
      // The range asked for, or its first part: servers that cap a response's size send less.
      boolean matches = range != null && got != null && range.total() >= 0
          && got.first() == first.first()
          && got.last() <= Math.min(first.last(), range.total() - 1)
          && (contentLength < 0 || contentLength == got.length());
      if (matches && range != null) {
        return new FirstResponse(open, FirstResponse.Kind.RANGED, new Probe(uri, code,
            RangeSupport.SUPPORTED, range.total(), etag, lastModified, fileName), got);
      }
      return new FirstResponse(open, FirstResponse.Kind.UNRELIABLE, new Probe(uri, code,
          RangeSupport.NOT_SUPPORTED, -1, etag, lastModified, fileName), null);
    }
    if (code == 200) {
      return new FirstResponse(open, FirstResponse.Kind.WHOLE, new Probe(uri, code,
          RangeSupport.NOT_SUPPORTED, contentLength, etag, lastModified, fileName), null);
    }
    if (code == 416 && first != null) {
      ContentRange range = ContentRange.parse(header(response, "Content-Range")).orElse(null);
      if (range != null && range.range() == null && range.total() == 0) {
        return new FirstResponse(open, FirstResponse.Kind.EMPTY, new Probe(uri, code,
            RangeSupport.SUPPORTED, 0, etag, lastModified, fileName), null);
      }
      return new FirstResponse(open, FirstResponse.Kind.UNRELIABLE, new Probe(uri, code,
          RangeSupport.NOT_SUPPORTED, -1, etag, lastModified, fileName), null);
    }
    throw FailureClassifier.forStatus(response, Requests.describe(uri, first));
  }

  static String header(ClassicHttpResponse response, String name) {
    Header header = response.getFirstHeader(name);
    return header == null || header.getValue() == null ? "" : header.getValue().trim();
  }

  static long contentLength(ClassicHttpResponse response) {
    HttpEntity entity = response.getEntity();
    return entity == null ? 0 : entity.getContentLength();
  }
}
