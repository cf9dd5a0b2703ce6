package io.rangefetch;

import java.io.IOException;
import java.net.URI;
import java.util.Optional;

/**
 * Supplies a fresh URL when a source of a download stops accepting its own: signed links of a
 * CDN that expire answer {@code 401}, {@code 403} or {@code 410} in the middle of a download.
 * Set with {@link DownloadRequest.Builder#urlRefresher(UrlRefresher)}.
 *
 * <p>Called on one of the download's worker threads, once per source at a time, while that
 * worker waits; the others go on. The fresh URL must serve the same file (same length; the same
 * {@code ETag} and {@code Last-Modified} where both give them): then the bytes already fetched
 * are kept and the requests go to it. Otherwise, or when the refresher gives nothing or throws,
 * the source fails as it would have without a refresher. At most three refreshes of one source
 * follow each other without a byte delivered in between.
 */
@FunctionalInterface
public interface UrlRefresher {

  /**
   * Returns a fresh URL for {@code expired}.
   *
   * @param download the download
   * @param expired the URL that was refused, with its credentials
   * @param statusCode the status it was refused with: 401, 403 or 410
   * @return the fresh URL, or empty to let the download fail as it would have
   * @throws IOException if no fresh URL could be obtained; treated like empty, and logged
   */
  Optional<URI> refresh(DownloadHandle download, URI expired, int statusCode) throws IOException;
}
