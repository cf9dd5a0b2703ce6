package io.rangefetch.server.jsonrpc;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rangefetch.server.http.TokenCheck;
import io.rangefetch.server.protocol.CommandException;
import io.rangefetch.server.protocol.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.eclipse.jetty.http.HttpStatus;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers one JSON-RPC message: a request, a batch (an array of requests) or a
 * {@code system.multicall}; checks the secret ({@code "token:SECRET"} as the first parameter);
 * turns every failure into a JSON-RPC {@code error} object. A bad message changes nothing. The
 * same for WebSocket and HTTP. Thread-safe.
 */
final class JsonRpcDispatcher {
  private static final Logger LOG = LoggerFactory.getLogger(JsonRpcDispatcher.class);
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final String TOKEN_PREFIX = "token:";
  private static final String MULTICALL = "system.multicall";
  /** The methods aria2 runs without the secret: they only list names. */
  private static final Set<String> WITHOUT_SECRET = Set.of("system.listMethods",
      "system.listNotifications");

  /** Who sends the message; a WebSocket session remembers that it presented the secret. */
  interface Caller {
    /** The caller presented the right secret (or none is configured). */
    void authorized();
  }

  /**
   * The answer to one message.
   *
   * @param json the response text
   * @param httpStatus the status for HTTP: 200, or aria2's 400/404/500 for a single error
   * @param afterReply what must run once the response is sent
   */
  record Answer(String json, int httpStatus, List<Runnable> afterReply) {}

  private final Map<String, RpcMethod> methods;
  private final TokenCheck token;

  JsonRpcDispatcher(Map<String, RpcMethod> methods, TokenCheck token) {
    this.methods = Map.copyOf(methods);
    this.token = token;
  }

  /** The method names, for {@code system.listMethods}. */
  static List<String> names(Map<String, RpcMethod> methods) {
    List<String> names = new ArrayList<>(methods.keySet());
    names.add(MULTICALL);
    names.add("system.listMethods");
    names.add("system.listNotifications");
    names.sort(null);
    return names;
  }

  /**
   * Answers one message.
   *
   * @param text the message
   * @param caller the sender
   * @return the answer
   */
  Answer handle(String text, Caller caller) {
    List<Runnable> afterReply = new ArrayList<>();
    JsonNode root;
    try {
      root = Json.mapper().readTree(text);
    } catch (JsonProcessingException e) {
      return single(error(NullNode.instance, new RpcException(RpcException.PARSE_ERROR,
          "Parse error: the message is not JSON (" + e.getOriginalMessage() + ")")), afterReply);
    }
    if (root == null || root.isMissingNode()) {
      return single(error(NullNode.instance, new RpcException(RpcException.PARSE_ERROR,
          "Parse error: the message is empty; send a JSON-RPC request object")), afterReply);
    }
    if (root.isArray()) {
      if (root.isEmpty()) {
        return single(error(NullNode.instance, new RpcException(RpcException.INVALID_REQUEST,
            "Invalid Request: the batch is empty; send at least one request")), afterReply);
      }
      ArrayNode out = NODES.arrayNode();
      for (JsonNode request : root) {
        out.add(request(request, caller, afterReply));
      }
      return new Answer(Json.write(out), HttpStatus.OK_200, afterReply);
    }
    return single(request(root, caller, afterReply), afterReply);
  }

  private static Answer single(ObjectNode response, List<Runnable> afterReply) {
    JsonNode error = response.get("error");
    int status = HttpStatus.OK_200;
    if (error != null) {
      // aria2's HTTP statuses for a single failed request.
      status = switch (error.get("code").asInt()) {
        case RpcException.FAILED, RpcException.INVALID_REQUEST -> HttpStatus.BAD_REQUEST_400;
        case RpcException.METHOD_NOT_FOUND -> HttpStatus.NOT_FOUND_404;
        default -> HttpStatus.INTERNAL_SERVER_ERROR_500;
      };
    }
    return new Answer(Json.write(response), status, afterReply);
  }

  private ObjectNode request(JsonNode request, Caller caller, List<Runnable> afterReply) {
    if (!request.isObject()) {
      return error(NullNode.instance, new RpcException(RpcException.INVALID_REQUEST,
          "Invalid Request: a request is a JSON object with \"method\", \"params\" and \"id\""));
    }
    JsonNode id = request.get("id");
    if (id == null) {
      // aria2 answers a request without id instead of treating it as a notification.
      return error(NullNode.instance, new RpcException(RpcException.INVALID_REQUEST,
          "Invalid Request: \"id\" is missing; every call needs one"));
    }
    JsonNode method = request.get("method");
    if (method == null || !method.isTextual()) {
      return error(id, new RpcException(RpcException.INVALID_REQUEST,
          "Invalid Request: \"method\" must be a string such as \"aria2.tellActive\""));
    }
    JsonNode params = request.get("params");
    if (params != null && !params.isNull() && !params.isArray()) {
      return error(id, RpcException.invalidParams("Invalid params: \"params\" must be an array"
          + " (aria2 takes positional parameters only)"));
    }
    List<JsonNode> values = new ArrayList<>();
    if (params != null && params.isArray()) {
      params.forEach(values::add);
    }
    try {
      JsonNode result = method.asText().equals(MULTICALL)
          ? multicall(values, caller, afterReply)
          : call(method.asText(), values, caller, afterReply);
      ObjectNode out = NODES.objectNode();
      out.set("id", id);
      out.put("jsonrpc", "2.0");
      out.set("result", result);
      return out;
    } catch (RpcException e) {
      return error(id, e);
    }
  }

  private JsonNode call(String name, List<JsonNode> values, Caller caller,
      List<Runnable> afterReply) {
    List<JsonNode> params = new ArrayList<>(values);
    String secret = null;
    if (!params.isEmpty() && params.get(0).isTextual()
        && params.get(0).asText().startsWith(TOKEN_PREFIX)) {
      secret = params.remove(0).asText().substring(TOKEN_PREFIX.length());
    }
    if (!WITHOUT_SECRET.contains(name)) {
      if (!token.acceptsSecret(secret)) {
        throw new Unauthorized();
      }
      caller.authorized();
    }
    if (name.equals("system.listMethods")) {
      return strings(names(methods));
    }
    if (name.equals("system.listNotifications")) {
      return strings(Aria2Notifier.NAMES);
    }
    RpcMethod method = methods.get(name);
    if (method == null) {
      throw new RpcException(RpcException.METHOD_NOT_FOUND, "No such method: " + shorten(name)
          + "; system.listMethods lists the methods rangefetch answers");
    }
    List<Runnable> own = new ArrayList<>();
    try {
      JsonNode result = method.call(new Params(name, params, own));
      afterReply.addAll(own);
      return result;
    } catch (CommandException e) {
      throw RpcException.failed(e.getMessage());
    } catch (RpcException e) {
      throw e;
    } catch (RuntimeException e) {
      LOG.error("aria2 method {} failed unexpectedly", name, e);
      throw new RpcException(RpcException.INTERNAL_ERROR, "Internal error: the server failed on"
          + " " + name + " (" + e.getClass().getSimpleName() + "); report it if it happens again");
    }
  }

  /**
   * {@code system.multicall([{methodName, params}, ...])}: each result is a one-element array,
   * each failure a struct with {@code code} and {@code message}, as the manual says. The secret
   * goes with each call, not with the multicall.
   */
  private JsonNode multicall(List<JsonNode> values, Caller caller, List<Runnable> afterReply) {
    if (values.size() != 1 || !values.get(0).isArray()) {
      throw RpcException.invalidParams("system.multicall takes one parameter: an array of"
          + " {\"methodName\": ..., \"params\": [...]} structs");
    }
    ArrayNode out = NODES.arrayNode();
    for (JsonNode entry : values.get(0)) {
      try {
        out.add(NODES.arrayNode().add(multicallEntry(entry, caller, afterReply)));
      } catch (RpcException e) {
        out.add(fault(e));
      }
    }
    return out;
  }

  private JsonNode multicallEntry(JsonNode entry, Caller caller, List<Runnable> afterReply) {
    JsonNode name = entry.get("methodName");
    JsonNode params = entry.get("params");
    if (!entry.isObject() || name == null || !name.isTextual()
        || (params != null && !params.isArray())) {
      throw RpcException.invalidParams("each system.multicall entry must be"
          + " {\"methodName\": \"aria2....\", \"params\": [...]}");
    }
    if (name.asText().equals(MULTICALL)) {
      throw RpcException.failed("Recursive system.multicall forbidden.");
    }
    List<JsonNode> values = new ArrayList<>();
    if (params != null) {
      params.forEach(values::add);
    }
    return call(name.asText(), values, caller, afterReply);
  }

  private static ObjectNode error(JsonNode id, RpcException e) {
    ObjectNode out = NODES.objectNode();
    out.set("id", id);
    out.put("jsonrpc", "2.0");
    out.set("error", fault(e));
    return out;
  }

  private static ObjectNode fault(RpcException e) {
    ObjectNode error = NODES.objectNode().put("code", e.code()).put("message", e.getMessage());
    if (e instanceof Unauthorized) {
      error.put("data", Unauthorized.HOW);
    }
    return error;
  }

  private static ArrayNode strings(List<String> names) {
    ArrayNode out = NODES.arrayNode();
    names.forEach(out::add);
    return out;
  }

  private static String shorten(@Nullable String s) {
    String shown = s == null ? "" : s.replaceAll("\\p{Cntrl}", "?");
    return shown.length() <= 60 ? shown : shown.substring(0, 60) + "...";
  }

  /**
   * A call without the right secret. Its message is aria2's own word, which web UIs look for to
   * ask the user for the secret; {@code data} says what to send.
   */
  private static final class Unauthorized extends RpcException {
    private static final long serialVersionUID = 1L;
    static final String HOW = "send the server's token (security.token) as the first parameter"
        + " of every call: \"token:SECRET\"";

    Unauthorized() {
      super(FAILED, "Unauthorized");
    }
  }
}
