package io.rangefetch.internal;

import io.rangefetch.ByteRange;
import io.rangefetch.DownloadException.Reason;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.HttpEntity;

/**
 * Checks a response to a range request before a byte of it is written: a {@code 206} of the
 * same version of the file whose {@code Content-Range} starts where the request did and ends
 * where it did or earlier. A shorter range is what servers that cap a response's size send;
 * anything else (shifted, another total, past the request) is refused.
 */
final class ResponseCheck {
  private ResponseCheck() {}

  /**
   * Returns the bytes {@code response} carries: {@code want}, or its first part.
   *
   * @throws FetchFailure if nothing of the response may be written; its reason says why
   */
  static ByteRange served(ClassicHttpResponse response, ByteRange want, Validators expected,
      String what) throws FetchFailure {
    int code = response.getCode();
    String etag = Prober.header(response, "ETag");
    String lastModified = Prober.header(response, "Last-Modified");
    String change = expected.change(etag, lastModified);
    if (code == 200 && change == null && expected.sameVersion(etag, lastModified)) {
      // Same ETag or Last-Modified: If-Range matched, yet the server sent everything.
      throw FetchFailure.retryable(Reason.SERVER_MISBEHAVED, what + " returned 200 with the"
          + " same version of the file: the server ignored the range this time; nothing of it"
          + " was written", null);
    }
    if (code == 200 || code == 416 || (code == 206 && change != null)) {
      throw FetchFailure.fatal(Reason.RESOURCE_CHANGED, what + " returned " + code
          + (code == 206 ? " of another version" : ", not 206")
          + ": the file changed on the server during the download"
          + (change == null ? "" : " (" + change + ")") + "; nothing of it was written");
    }
    if (code != 206) {
      throw FailureClassifier.forStatus(response, what);
    }
    String header = Prober.header(response, "Content-Range");
    ContentRange range = ContentRange.parse(header).orElseThrow(() -> FetchFailure.retryable(
        Reason.SERVER_MISBEHAVED, what + " returned 206 with an unusable Content-Range \""
            + header + "\"; nothing of it was written", null));
    if (range.total() >= 0 && range.total() != expected.size()) {
      throw FetchFailure.fatal(Reason.RESOURCE_CHANGED, what + " says the file is now "
          + range.total() + " bytes, not " + expected.size()
          + ": the file changed on the server during the download; nothing of it was written");
    }
    ByteRange got = range.range();
    if (got == null || got.first() != want.first() || got.last() > want.last()) {
      throw FetchFailure.retryable(Reason.SERVER_MISBEHAVED, what + " returned Content-Range \""
          + header + "\", not the range asked for nor its first part; nothing of it was written",
          null);
    }
    HttpEntity entity = response.getEntity();
    long length = entity == null ? -1 : entity.getContentLength();
    if (length >= 0 && length != got.length()) {
      throw FetchFailure.retryable(Reason.SERVER_MISBEHAVED, what + " returned Content-Length "
          + length + " for a range of " + got.length() + " bytes; nothing of it was written",
          null);
    }
    return got;
  }
}
