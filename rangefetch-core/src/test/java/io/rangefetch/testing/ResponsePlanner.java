package io.rangefetch.testing;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;

/**
 * Plans what a {@link RangeDispatcher} answers a file request with: which version of the file,
 * the status, the headers and which of its bytes, from the range asked for, the validators, the
 * header options and the fault to apply. Thread-safe: configured by the test, read by server
 * threads.
 */
final class ResponsePlanner {
  private record Version(byte[] bytes, String etag, String lastModified) {}

  // Configuration: written by the test before the download starts, read by server threads.
  private final Version original;
  private volatile Version changed;
  private volatile int changeAfterRequests = Integer.MAX_VALUE;
  private volatile boolean ignoreRange;
  private volatile boolean advertiseRanges = true;
  private volatile boolean honourIfRange = true;
  private volatile boolean sendEtag = true;
  private volatile Framing wholeBodyFraming = Framing.CONTENT_LENGTH;
  private volatile String contentDisposition;
  private volatile List<String> contentLengthOverride = List.of();
  private volatile long announcedTotal = Long.MIN_VALUE; // MIN_VALUE: the honest total
  private volatile String setCookie;
  private final Map<String, String> extraHeaders = new ConcurrentHashMap<>();
  private volatile long responseCap = Long.MAX_VALUE;
  private volatile BodyHooks hooks = BodyHooks.NONE;

  ResponsePlanner(byte[] content) {
    this.original =
        new Version(content.clone(), RangeDispatcher.ETAG, RangeDispatcher.LAST_MODIFIED);
    this.changed = original;
  }

  void hooks(BodyHooks hooks) {
    this.hooks = Objects.requireNonNull(hooks);
  }

  void ignoreRange() {
    this.ignoreRange = true;
  }

  void ignoreIfRange() {
    this.honourIfRange = false;
  }

  void withoutEtag() {
    this.sendEtag = false;
  }

  void advertiseRanges(boolean advertise) {
    this.advertiseRanges = advertise;
  }

  void wholeBodyFraming(Framing framing) {
    this.wholeBodyFraming = Objects.requireNonNull(framing);
  }

  void contentDisposition(String value) {
    this.contentDisposition = value;
  }

  void contentLengthHeaders(List<String> values) {
    this.contentLengthOverride = values;
  }

  void announceTotal(long total) {
    this.announcedTotal = total;
  }

  void setCookie(String value) {
    this.setCookie = value;
  }

  void extraHeader(String name, String value) {
    extraHeaders.put(name, value);
  }

  void capResponses(long maxBytes) {
    this.responseCap = maxBytes;
  }

  void changeContentAfter(int requests, byte[] content) {
    this.changed = new Version(content.clone(), RangeDispatcher.CHANGED_ETAG,
        RangeDispatcher.CHANGED_LAST_MODIFIED);
    this.changeAfterRequests = requests;
  }

  /** The answer to a file request, {@code fault} (null for none) applied. */
  ResponsePlan plan(Exchange exchange, Fault fault) {
    Version version = exchange.index() > changeAfterRequests ? changed : original;
    byte[] bytes = version.bytes();
    long total = bytes.length;
    ResponsePlan plan = new ResponsePlan();
    plan.bytes = bytes;
    plan.hooks = hooks;
    plan.head = exchange.method().equals("HEAD");
    if (sendEtag) {
      plan.header("ETag", version.etag());
    }
    plan.header("Last-Modified", version.lastModified());
    plan.header("Content-Type", "application/octet-stream");
    if (advertiseRanges) {
      plan.header("Accept-Ranges", "bytes");
    }
    if (setCookie != null) {
      plan.header("Set-Cookie", setCookie);
    }
    extraHeaders.forEach(plan::header);
    if (contentDisposition != null) {
      plan.header("Content-Disposition", contentDisposition);
    }

    Matcher single = exchange.hasRange()
        ? RangeHeader.SINGLE_RANGE.matcher(exchange.range().trim()) : null;
    boolean ranged = single != null && single.matches() && !ignoreRange
        && (!honourIfRange || ifRangeMatches(exchange.ifRange(), version))
        && (fault == null || fault.kind != Fault.Kind.WHOLE_BODY_200);
    if (!ranged) {
      plan.code = 200;
      plan.offset = 0;
      plan.length = total;
      plan.framing = wholeBodyFraming;
    } else {
      long[] bounds = RangeHeader.resolve(single, total);
      if (bounds == null) {
        plan.code = 416;
        plan.header("Content-Range", "bytes */" + total);
        plan.bytes = new byte[0];
        plan.framing = Framing.CONTENT_LENGTH;
        return plan;
      }
      long first = bounds[0];
      long last = bounds[1];
      long labelTotal = announcedTotal != Long.MIN_VALUE ? announcedTotal : total;
      if (fault != null && fault.kind == Fault.Kind.SHIFTED_CONTENT_RANGE) {
        first = Math.min(first + fault.shift, total - 1);
        last = Math.min(last + fault.shift, total - 1);
      }
      if (fault != null && fault.kind == Fault.Kind.WRONG_TOTAL) {
        labelTotal = total + 1000;
      }
      if (last - first + 1 > responseCap) {
        last = first + responseCap - 1;
      }
      plan.code = 206;
      plan.offset = first;
      plan.length = last - first + 1;
      plan.framing = Framing.CONTENT_LENGTH;
      plan.header("Content-Range", "bytes " + first + "-" + last + "/" + labelTotal);
    }
    if (fault != null) {
      switch (fault.kind) {
        case DISCONNECT_HALFWAY -> plan.cutAfter = plan.length / 2;
        case SHORT_BODY -> {
          plan.declaredLength = plan.length / 2;
          plan.length = plan.length / 2;
        }
        case STALL -> plan.stall = true;
        case STALL_HALFWAY -> {
          plan.cutAfter = plan.length / 2;
          plan.stall = true;
        }
        default -> { }
      }
    }
    if (!contentLengthOverride.isEmpty()) {
      plan.rawContentLengths = contentLengthOverride;
      plan.framing = Framing.CLOSE_DELIMITED;
    }
    return plan;
  }

  private static boolean ifRangeMatches(String ifRange, Version version) {
    return ifRange.isEmpty() || ifRange.equals(version.etag())
        || ifRange.equals(version.lastModified());
  }
}
