package io.rangefetch.internal;

import io.rangefetch.ByteRange;
import io.rangefetch.Probe;
import io.rangefetch.RangeSupport;
import java.io.IOException;
import java.net.URI;
import org.apache.hc.core5.http.HttpEntity;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.jspecify.annotations.Nullable;

/**
 * Checks that a URL serves the same file as the one being downloaded, before any of its bytes
 * are used: a mirror, a refreshed URL, a replaced one. It asks for the first byte (following
 * redirects, as the probe does) and compares the length, and the {@code ETag} and
 * {@code Last-Modified} where both give them. Stateless.
 */
final class SourceCheck {
  private final DownloadEngine engine;
  private final InFlight inFlight;

  SourceCheck(DownloadEngine engine, InFlight inFlight) {
    this.engine = engine;
    this.inFlight = inFlight;
  }

  /**
   * What {@code uri} says about its file, from a request for its first byte.
   *
   * @throws FetchFailure if it did not answer with a usable range
   */
  Probe probe(URI uri, Requests requests) throws FetchFailure {
    FirstResponse first = engine.prober().open(uri, new ByteRange(0, 0), requests, inFlight);
    try {
      HttpEntity entity = first.open().response.getEntity();
      if (first.kind() == FirstResponse.Kind.RANGED && entity != null) {
        EntityUtils.consume(entity); // one byte: the connection goes back to the pool
      } else {
        first.open().abort();
      }
    } catch (IOException e) {
      first.open().abort();
    } finally {
      first.open().close();
    }
    return first.probe();
  }

  /**
   * How {@code found} differs from the file {@code expected} describes, for a note; null when
   * it is the same file.
   */
  static @Nullable String difference(Validators expected, Probe found) {
    if (found.ranges() != RangeSupport.SUPPORTED) {
      return "it does not serve byte ranges";
    }
    if (found.size() != expected.size()) {
      return "it serves " + found.size() + " bytes, not " + expected.size();
    }
    if (!expected.etag().isEmpty() && !found.etag().isEmpty()
        && !expected.etag().equals(found.etag())) {
      return "its ETag is " + found.etag() + ", not " + expected.etag();
    }
    if (!expected.lastModified().isEmpty() && !found.lastModified().isEmpty()
        && !expected.lastModified().equals(found.lastModified())) {
      return "its Last-Modified is " + found.lastModified() + ", not " + expected.lastModified();
    }
    return null;
  }
}
