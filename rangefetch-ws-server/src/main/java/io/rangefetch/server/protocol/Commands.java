package io.rangefetch.server.protocol;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.rangefetch.DownloadRequest;
import io.rangefetch.server.protocol.Command.Op;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/** Parses client messages into {@link Command}s. Thread-safe. */
public final class Commands {
  private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");

  private static final int MAX_REQUEST_ID_CHARS = 64;
  private static final int MAX_MIRRORS = 16;
  private static final String OPS = Arrays.stream(Op.values())
      .map(Op::wireName).collect(Collectors.joining(", "));
  private static final Set<String> UPDATE_FIELDS = Set.of("op", "requestId", "id", "url",
      "mirrors", "limitBps");
  private static final Set<String> SET_LIMITS_FIELDS = Set.of("op", "requestId", "downloadBps",
      "maxConnectionsPerHost");

  private Commands() {}

  /**
   * Parses one message.
   *
   * @param text the text frame
   * @return the command
   * @throws CommandException with {@link ErrorCode#BAD_REQUEST} if the message is not a valid
   *     command; {@link #requestIdOf(String)} recovers the request id for the reply
   */
  public static Command parse(String text) {
    JsonNode root = readObject(text);
    String requestId = requestId(root);
    JsonNode opNode = root.get("op");
    if (opNode == null || !opNode.isTextual()) {
      throw badRequest("a message needs an \"op\" string, one of: " + OPS
          + "; for example {\"op\":\"list\"}");
    }
    Op op = Arrays.stream(Op.values())
        .filter(known -> known.wireName().equalsIgnoreCase(opNode.asText())).findFirst()
        .orElseThrow(() -> badRequest("unknown op \"" + shorten(opNode.asText())
            + "\"; use one of: " + OPS));
    return switch (op) {
      case ADD -> new Command(op, requestId, null, add(root));
      case GET, PAUSE, RESUME, CANCEL, REMOVE -> new Command(op, requestId, id(root, op), null);
      case LIST, SUBSCRIBE, UNSUBSCRIBE -> new Command(op, requestId, null, null);
      case UPDATE -> new Command(op, requestId, id(root, op), null, update(root), null);
      case SET_LIMITS -> new Command(op, requestId, null, null, null, setLimits(root));
    };
  }

  private static UpdateCommand update(JsonNode root) {
    onlyFields(root, "update", UPDATE_FIELDS, "\"id\" and any of \"url\" (a new URL of the same"
        + " file), \"mirrors\" (an array of URLs) and \"limitBps\" (a whole number of bytes per"
        + " second of at least 1, or null for no limit)");
    String url = optionalText(root, "url");
    boolean hasMirrors = root.has("mirrors") && !root.get("mirrors").isNull();
    Long limitBps = rate(root, "limitBps");
    if ((url == null || url.isBlank()) && !hasMirrors && limitBps == null) {
      throw badRequest("update needs a \"url\", \"mirrors\" or \"limitBps\" to change, for"
          + " example {\"op\":\"update\",\"id\":\"3\",\"url\":\"https://example.org/a.iso\"}");
    }
    return new UpdateCommand(url == null || url.isBlank() ? null : url.strip(),
        hasMirrors ? urls(root, "mirrors", "update") : null, limitBps);
  }

  private static SetLimitsCommand setLimits(JsonNode root) {
    onlyFields(root, "setLimits", SET_LIMITS_FIELDS, "\"downloadBps\" (a whole number of bytes"
        + " per second of at least 1, or null for no limit) and \"maxConnectionsPerHost\"");
    JsonNode cap = root.get("maxConnectionsPerHost");
    Integer maxConnectionsPerHost = null;
    if (cap != null) {
      if (!cap.isIntegralNumber() || !cap.canConvertToInt() || cap.asInt() < 1) {
        throw badRequest("maxConnectionsPerHost must be a whole number of at least 1, was "
            + shorten(cap.toString()) + "; leave it out to keep the one in force");
      }
      maxConnectionsPerHost = cap.asInt();
    }
    return new SetLimitsCommand(rate(root, "downloadBps"), maxConnectionsPerHost);
  }

  /** Refuses a field the op does not know: a client must not believe it took effect. */
  private static void onlyFields(JsonNode root, String op, Set<String> known, String takes) {
    for (Iterator<String> names = root.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!known.contains(name)) {
        throw badRequest(op + " does not know the field \"" + shorten(name)
            + "\", so nothing was changed; it takes " + takes);
      }
    }
  }

  /** A rate limit field: null when absent, 0 for JSON null (no limit), else at least 1. */
  private static @Nullable Long rate(JsonNode root, String field) {
    JsonNode node = root.get(field);
    if (node == null) {
      return null;
    }
    if (node.isNull()) {
      return 0L;
    }
    if (!node.isIntegralNumber() || !node.canConvertToLong() || node.asLong() < 1) {
      throw badRequest(field + " must be a whole number of bytes per second of at least 1, or"
          + " null for no limit, was " + shorten(node.toString()));
    }
    return node.asLong();
  }

  /**
   * Recovers the request id of a message that failed to parse, so the error reply can carry it.
   *
   * @param text the text frame
   * @return the request id, or null if there is no valid one
   */
  public static @Nullable String requestIdOf(String text) {
    try {
      JsonNode node = Json.read(text).get("requestId");
      if (node != null && node.isTextual() && node.asText().length() <= MAX_REQUEST_ID_CHARS) {
        return node.asText();
      }
    } catch (JsonProcessingException | RuntimeException e) {
      // Not JSON at all: the reply goes without a request id.
    }
    return null;
  }

  private static JsonNode readObject(String text) {
    JsonNode root;
    try {
      root = Json.read(text);
    } catch (JsonProcessingException e) {
      throw badRequest("the message is not valid JSON (" + e.getOriginalMessage()
          + "); send one JSON object such as {\"op\":\"list\"}");
    }
    if (root == null || !root.isObject()) {
      throw badRequest("the message must be one JSON object such as {\"op\":\"list\"}");
    }
    return root;
  }

  private static @Nullable String requestId(JsonNode root) {
    JsonNode node = root.get("requestId");
    if (node == null || node.isNull()) {
      return null;
    }
    if (!node.isTextual() || node.asText().length() > MAX_REQUEST_ID_CHARS) {
      throw badRequest("requestId must be a string of at most " + MAX_REQUEST_ID_CHARS
          + " characters");
    }
    return node.asText();
  }

  private static String id(JsonNode root, Op op) {
    JsonNode node = root.get("id");
    String name = op.wireName();
    // A number is accepted too: ids look like numbers and a script may send them as such.
    if (node != null && (node.isTextual() || node.canConvertToLong() && node.isIntegralNumber())) {
      String id = node.asText();
      if (!id.isEmpty() && id.length() <= MAX_REQUEST_ID_CHARS) {
        return id;
      }
    }
    throw badRequest(name + " needs the download's \"id\" as a string, for example {\"op\":\""
        + name + "\",\"id\":\"3\"}");
  }

  private static AddCommand add(JsonNode root) {
    JsonNode url = root.get("url");
    if (url == null || !url.isTextual() || url.asText().isBlank()) {
      throw badRequest("add needs a \"url\" string, for example "
          + "{\"op\":\"add\",\"url\":\"https://example.org/a.iso\"}");
    }
    Long threads = positive(root, "threads", Integer.MAX_VALUE);
    Long chunkBytes = positive(root, "chunkBytes", Long.MAX_VALUE);
    Long limitBps = root.path("limitBps").isNull() ? null : rate(root, "limitBps");
    return new AddCommand(url.asText().strip(), threads == null ? null : threads.intValue(),
        chunkBytes, optionalText(root, "fileName"), sha256(root), headers(root), null, limitBps,
        urls(root, "mirrors", "add"));
  }

  /** The optional {@code headers} object, each checked by the core's rules before the add. */
  private static Map<String, String> headers(JsonNode root) {
    JsonNode node = root.get("headers");
    if (node == null || node.isNull()) {
      return Map.of();
    }
    if (!node.isObject()) {
      throw badRequest("headers must be an object of header name to value, for example"
          + " {\"Cookie\":\"a=1\"}; was " + node.getNodeType().name().toLowerCase(Locale.ROOT));
    }
    Map<String, String> headers = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> field : node.properties()) {
      String name = field.getKey();
      if (!field.getValue().isTextual()) {
        // The value is not repeated: it may be a secret.
        throw badRequest("headers: the value of " + shorten(name) + " must be a string");
      }
      try {
        DownloadRequest.newBuilder(ANY_URI, Path.of(".")).header(name, field.getValue().asText());
      } catch (IllegalArgumentException e) {
        throw badRequest("headers: " + e.getMessage());
      }
      headers.put(name, field.getValue().asText());
    }
    return headers;
  }

  /** An optional array of URL strings; empty when absent. */
  private static List<String> urls(JsonNode root, String field, String op) {
    JsonNode node = root.get(field);
    if (node == null || node.isNull()) {
      return List.of();
    }
    String example = " for example {\"op\":\"" + op + "\",\"" + field
        + "\":[\"https://mirror.example.org/a.iso\"]}";
    if (!node.isArray() || node.size() > MAX_MIRRORS) {
      throw badRequest(field + " must be an array of at most " + MAX_MIRRORS + " URL strings,"
          + example);
    }
    List<String> urls = new ArrayList<>();
    for (JsonNode item : node) {
      if (!item.isTextual() || item.asText().isBlank()) {
        throw badRequest(field + " must hold URL strings, had " + shorten(item.toString()) + ";"
            + example);
      }
      urls.add(item.asText().strip());
    }
    return urls;
  }

  private static @Nullable Long positive(JsonNode root, String field, long max) {
    JsonNode node = root.get(field);
    if (node == null || node.isNull()) {
      return null;
    }
    if (!node.isIntegralNumber() || !node.canConvertToLong() || node.asLong() < 1
        || node.asLong() > max) {
      throw badRequest(field + " must be a whole number from 1 to " + max + ", was "
          + shorten(node.toString()) + "; leave it out to use the server's cap");
    }
    return node.asLong();
  }

  private static @Nullable String optionalText(JsonNode root, String field) {
    JsonNode node = root.get(field);
    if (node == null || node.isNull()) {
      return null;
    }
    if (!node.isTextual()) {
      throw badRequest(field + " must be a string, was " + shorten(node.toString()));
    }
    return node.asText();
  }

  private static @Nullable String sha256(JsonNode root) {
    String hex = optionalText(root, "sha256");
    if (hex == null) {
      return null;
    }
    String lower = hex.toLowerCase(Locale.ROOT);
    if (!SHA256_HEX.matcher(lower).matches()) {
      throw badRequest("sha256 must be 64 hex digits, was \"" + shorten(hex) + "\" ("
          + hex.length() + " characters)");
    }
    return lower;
  }

  private static String shorten(String s) {
    return s.length() <= 80 ? s : s.substring(0, 80) + "...";
  }

  /** Any http URI: the header checks of a request builder do not depend on it. */
  private static final URI ANY_URI = URI.create("http://127.0.0.1/");

  private static CommandException badRequest(String message) {
    return new CommandException(ErrorCode.BAD_REQUEST, message);
  }
}
