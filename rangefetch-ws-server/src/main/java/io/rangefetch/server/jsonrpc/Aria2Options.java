package io.rangefetch.server.jsonrpc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rangefetch.DownloadRequest;
import io.rangefetch.Limits;
import io.rangefetch.server.download.DirectoryPolicy;
import io.rangefetch.server.protocol.AddCommand;
import io.rangefetch.server.protocol.StatusJson;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * aria2's download options, as {@code aria2.addUri}, {@code getOption} and the
 * {@code change*Option} methods use them, mapped onto an {@code add} of the server: each option
 * name has one rule that checks its value and writes it into a {@link Draft}. The speed limits
 * ({@code max-download-limit}, {@code max-overall-download-limit}) are the download's and the
 * server's rate limits, in aria2's size syntax ({@code 0} for none). Immutable and thread-safe.
 */
final class Aria2Options {
  /** The headers the protocol refuses on an {@code add} (PROTOCOL.md, optional add fields). */
  private static final Set<String> REFUSED_HEADERS = Set.of("host", "range", "if-range",
      "content-length", "transfer-encoding", "connection");
  private static final Pattern SIZE = Pattern.compile("(\\d{1,15})([kKmMgG]?)");
  private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-fA-F]{64}");
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final URI ANY_URI = URI.create("http://127.0.0.1/");

  /** What the options of one {@code addUri} asked for. Not thread-safe: one call's scratch. */
  static final class Draft {
    @Nullable Integer split;
    @Nullable Integer connectionsPerServer;
    @Nullable Long chunkBytes;
    @Nullable String fileName;
    @Nullable String sha256;
    /** Relative to the download directory, {@code /}-separated; null for the directory itself. */
    @Nullable String dir;
    final Map<String, String> headers = new LinkedHashMap<>();
    /** Bytes per second, 0 for none: aria2's {@code max-download-limit}. */
    long limitBps;

    /** Threads: aria2 opens {@code min(split, max-connection-per-server)} to one server. */
    @Nullable Integer threads() {
      if (split == null) {
        return connectionsPerServer;
      }
      return connectionsPerServer == null ? split : Math.min(split, connectionsPerServer);
    }
  }

  /** One option of {@code addUri}: checks its value and writes it into the draft. */
  private interface Rule {
    void apply(String name, JsonNode value, Draft draft);
  }

  private final Path downloadDir;
  private final DirectoryPolicy directories;
  private final Limits limits;
  private final Map<String, Rule> rules;

  Aria2Options(Path downloadDir, Limits limits) {
    this.downloadDir = downloadDir;
    this.directories = new DirectoryPolicy(downloadDir);
    this.limits = limits;
    Map<String, Rule> r = new LinkedHashMap<>();
    r.put("dir", (n, v, d) -> d.dir = dir(text(n, v)));
    r.put("out", (n, v, d) -> d.fileName = text(n, v));
    r.put("split", (n, v, d) -> d.split = positiveInt(n, v));
    r.put("max-connection-per-server", (n, v, d) -> d.connectionsPerServer = positiveInt(n, v));
    r.put("min-split-size", (n, v, d) -> d.chunkBytes = positiveSize(n, v));
    r.put("max-download-limit", (n, v, d) -> d.limitBps = size(n, v));
    r.put("checksum", (n, v, d) -> d.sha256 = sha256(text(n, v)));
    r.put("header", this::headers);
    r.put("referer", (n, v, d) -> header("Referer", text(n, v), d));
    r.put("user-agent", (n, v, d) -> header("User-Agent", text(n, v), d));
    this.rules = r;
  }

  /**
   * The option names {@code addUri} takes, for messages and the docs. Any other name is ignored,
   * as aria2 ignores the options it does not know or that do not apply to a method: web UIs send
   * their whole option set.
   */
  Set<String> names() {
    return rules.keySet();
  }

  /**
   * Turns the options of an {@code addUri} into an {@code add}.
   *
   * @param url the download's one URL
   * @param options the options struct, or null for none
   * @return the add; the service caps threads and chunk size at the server's limits
   * @throws RpcException naming the first option that is ill-typed, not valid or not available;
   *     an option rangefetch does not take is ignored, as aria2 does
   */
  AddCommand add(String url, @Nullable JsonNode options) {
    return add(url, List.of(), options);
  }

  /**
   * Turns the URIs and options of an {@code addUri} into an {@code add}: the first URI is the
   * download's URL, the others its mirrors, as aria2 takes several URIs of one file.
   *
   * @param url the download's URL
   * @param mirrors the other URIs of the same file
   * @param options the options struct, or null for none
   * @return the add
   * @throws RpcException naming the first option that is unknown, ill-typed or not available
   */
  AddCommand add(String url, List<String> mirrors, @Nullable JsonNode options) {
    Draft draft = new Draft();
    if (options != null) {
      for (Iterator<Map.Entry<String, JsonNode>> it = options.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> option = it.next();
        Rule rule = rules.get(option.getKey());
        if (rule != null) {
          rule.apply(option.getKey(), option.getValue(), draft);
        }
      }
    }
    return new AddCommand(url, draft.threads(), draft.chunkBytes, draft.fileName, draft.sha256,
        draft.headers, draft.dir, draft.limitBps == 0 ? null : draft.limitBps, mirrors);
  }

  /** {@code aria2.getOption}: the values in force for one download, as strings. */
  ObjectNode of(StatusJson s) {
    ObjectNode out = NODES.objectNode();
    out.put("dir", Aria2Status.dir(s, downloadDir));
    if (s.fileName() != null) {
      out.put("out", s.fileName());
    }
    out.put("split", Integer.toString(s.maxThreads()));
    out.put("max-connection-per-server", Integer.toString(s.maxThreads()));
    out.put("min-split-size", Long.toString(s.chunkBytes()));
    out.put("max-download-limit", s.limitBps() == null ? "0" : Long.toString(s.limitBps()));
    return out;
  }

  /**
   * {@code aria2.getGlobalOption}: the server's caps, which new downloads get, and the rate limit
   * over all downloads.
   *
   * @param overallBps the rate limit over all downloads now, 0 for none
   */
  ObjectNode global(long overallBps) {
    ObjectNode out = NODES.objectNode();
    out.put("dir", downloadDir.toString());
    out.put("split", Integer.toString(limits.maxThreads()));
    out.put("max-connection-per-server", Integer.toString(limits.maxThreads()));
    out.put("min-split-size", Long.toString(limits.maxBytesPerThread()));
    out.put("max-concurrent-downloads", Integer.toString(limits.maxConcurrentDownloads()));
    out.put("max-download-limit", "0");
    out.put("max-overall-download-limit", Long.toString(overallBps));
    return out;
  }

  /**
   * Reads an {@code aria2.changeOption} or {@code changeGlobalOption}: only the speed limits can
   * be changed; every other option is skipped, as aria2 skips the options a method cannot
   * change. Every speed limit is checked before any is applied.
   *
   * @param options the struct
   * @param changeable the option names the method takes
   * @return bytes per second by option name, 0 for none
   * @throws RpcException naming the first option that cannot be changed or is not a size
   */
  static Map<String, Long> change(JsonNode options, List<String> changeable) {
    Map<String, Long> limits = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = options.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> option = it.next();
      String name = option.getKey();
      if (!changeable.contains(name)) {
        continue;
      }
      limits.put(name, size(name, option.getValue()));
    }
    return limits;
  }

  /** The {@code dir} option: a directory inside the download directory, created if missing. */
  private @Nullable String dir(String asked) {
    try {
      String relative = directories.check(asked);
      return relative.isEmpty() ? null : relative;
    } catch (IllegalArgumentException e) {
      throw RpcException.failed("option dir: " + e.getMessage());
    } catch (IOException e) {
      throw RpcException.failed("option dir " + shorten(asked) + ": cannot create it ("
          + e.getMessage() + "); check the permissions of the download directory");
    }
  }

  private void headers(String name, JsonNode value, Draft draft) {
    if (value.isTextual()) {
      header(value.asText(), draft);
      return;
    }
    if (!value.isArray()) {
      throw wrongType(name, value, "a string \"Name: value\" or an array of them");
    }
    for (JsonNode line : value) {
      if (!line.isTextual()) {
        throw wrongType(name, value, "a string \"Name: value\" or an array of them");
      }
      header(line.asText(), draft);
    }
  }

  private void header(String line, Draft draft) {
    int colon = line.indexOf(':');
    if (colon <= 0) {
      throw RpcException.failed("option header " + shorten(line) + " is not \"Name: value\"");
    }
    header(line.substring(0, colon).strip(), line.substring(colon + 1).strip(), draft);
  }

  private void header(String name, String value, Draft draft) {
    if (REFUSED_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
      throw RpcException.failed("header " + shorten(name) + " is refused: rangefetch sets Host,"
          + " Range, If-Range, Content-Length, Transfer-Encoding and Connection itself");
    }
    try {
      // The core's own checks (a valid name, no line break), before the download is added.
      DownloadRequest.newBuilder(ANY_URI, downloadDir).header(name, value);
    } catch (IllegalArgumentException e) {
      throw RpcException.failed("option header: " + e.getMessage());
    }
    draft.headers.put(name, value);
  }

  private static String sha256(String checksum) {
    int eq = checksum.indexOf('=');
    String type = eq < 0 ? "" : checksum.substring(0, eq).strip().toLowerCase(Locale.ROOT);
    String digest = eq < 0 ? "" : checksum.substring(eq + 1).strip();
    if (!type.equals("sha-256")) {
      throw RpcException.failed("option checksum " + shorten(checksum) + ": rangefetch checks"
          + " SHA-256 only; send sha-256=<64 hex digits>");
    }
    if (!SHA256_HEX.matcher(digest).matches()) {
      throw RpcException.failed("option checksum: the SHA-256 digest must be 64 hex digits, was "
          + shorten(digest));
    }
    return digest.toLowerCase(Locale.ROOT);
  }

  private static String text(String name, JsonNode value) {
    if (!value.isTextual()) {
      throw wrongType(name, value, "a string");
    }
    return value.asText();
  }

  private static int positiveInt(String name, JsonNode value) {
    long n = number(name, value);
    if (n < 1 || n > Integer.MAX_VALUE) {
      throw RpcException.failed("option " + name + " must be at least 1, was " + n
          + "; the server caps it at its own maximum");
    }
    return (int) n;
  }

  private static long positiveSize(String name, JsonNode value) {
    long n = size(name, value);
    if (n < 1) {
      throw RpcException.failed("option " + name + " must be at least 1 byte, was " + n);
    }
    return n;
  }

  private static long number(String name, JsonNode value) {
    String text = value.isIntegralNumber() ? value.asText() : text(name, value).strip();
    if (!text.matches("-?\\d{1,15}")) {
      throw wrongType(name, value, "a whole number such as \"4\"");
    }
    return Long.parseLong(text);
  }

  /** A size as aria2 writes it: bytes, or a number with K or M (also G), 1024-based. */
  private static long size(String name, JsonNode value) {
    String text = value.isIntegralNumber() ? value.asText() : text(name, value).strip();
    Matcher m = SIZE.matcher(text);
    if (!m.matches()) {
      throw wrongType(name, value, "a size such as \"0\", \"512K\" or \"4M\"");
    }
    int shift = switch (m.group(2).toLowerCase(Locale.ROOT)) {
      case "k" -> 10;
      case "m" -> 20;
      case "g" -> 30;
      default -> 0;
    };
    try {
      return Math.multiplyExact(Long.parseLong(m.group(1)), 1L << shift);
    } catch (ArithmeticException e) {
      throw wrongType(name, value, "a size below 8 EiB");
    }
  }

  private static RpcException wrongType(String name, JsonNode value, String expected) {
    return RpcException.invalidParams("option " + name + " must be " + expected + ", was "
        + shorten(value.toString()));
  }

  private static String shorten(String s) {
    String shown = s.replaceAll("\\p{Cntrl}", "?");
    return shown.length() <= 80 ? shown : shown.substring(0, 80) + "...";
  }
}
