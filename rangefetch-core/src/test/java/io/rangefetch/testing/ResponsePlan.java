package io.rangefetch.testing;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * What a {@link RangeDispatcher} writes for one exchange: the status, the headers, which bytes
 * and how the body is framed and ended. Not thread-safe: confined to the server thread that
 * serves the exchange.
 */
final class ResponsePlan {
  int code;
  final List<String[]> headers = new ArrayList<>();
  byte[] bytes = new byte[0];
  long offset;
  long length;
  long declaredLength = -1;
  long cutAfter = -1;
  boolean stall;
  boolean head;
  Framing framing = Framing.CONTENT_LENGTH;
  List<String> rawContentLengths = List.of();
  BodyHooks hooks = BodyHooks.NONE;

  /** A short text body with this status and header lines such as {@code "Location: /b"}. */
  static ResponsePlan status(int code, String... headerLines) {
    ResponsePlan plan = new ResponsePlan();
    plan.code = code;
    for (String line : headerLines) {
      int colon = line.indexOf(':');
      plan.header(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
    }
    plan.bytes = ("status " + code + "\n").getBytes(StandardCharsets.US_ASCII);
    plan.length = plan.bytes.length;
    return plan;
  }

  void header(String name, String value) {
    headers.add(new String[] {name, value});
  }
}
