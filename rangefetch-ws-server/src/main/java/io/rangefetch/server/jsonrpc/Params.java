package io.rangefetch.server.jsonrpc;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The positional parameters of one call, the secret already taken off, read with checks whose
 * errors name the method, the parameter and what was expected. Immutable and thread-safe.
 */
final class Params {
  private final String method;
  private final List<JsonNode> values;
  private final List<Runnable> afterReply;

  /**
   * Creates the parameters of one call.
   *
   * @param afterReply where a method leaves what must happen once its reply is sent (shutdown)
   */
  Params(String method, List<JsonNode> values, List<Runnable> afterReply) {
    this.method = method;
    this.values = List.copyOf(values);
    this.afterReply = afterReply;
  }

  /** Runs {@code action} once the reply of this call has been handed to the client. */
  void afterReply(Runnable action) {
    afterReply.add(action);
  }

  String method() {
    return method;
  }

  /** Refuses more than {@code max} parameters, so that a misplaced one is not ignored. */
  Params atMost(int max) {
    if (values.size() > max) {
      throw RpcException.invalidParams(method + " takes at most " + max + " parameter"
          + (max == 1 ? "" : "s") + " after the secret, got " + values.size()
          + "; see docs/aria2-rpc.md for its signature");
    }
    return this;
  }

  boolean has(int index) {
    return index < values.size() && !values.get(index).isNull();
  }

  @Nullable JsonNode optional(int index) {
    return has(index) ? values.get(index) : null;
  }

  String string(int index, String name) {
    JsonNode node = require(index, name, "a string");
    if (!node.isTextual()) {
      throw wrongType(index, name, "a string", node);
    }
    return node.asText();
  }

  int integer(int index, String name) {
    JsonNode node = require(index, name, "an integer");
    if (!node.canConvertToInt() || !node.isIntegralNumber()) {
      throw wrongType(index, name, "an integer", node);
    }
    return node.asInt();
  }

  List<String> strings(int index, String name) {
    JsonNode node = require(index, name, "an array of strings");
    return strings(node, index, name);
  }

  /** The optional {@code keys} filter of the tell methods; empty means every key. */
  Set<String> keys(int index) {
    JsonNode node = optional(index);
    return node == null ? Set.of() : new LinkedHashSet<>(strings(node, index, "keys"));
  }

  JsonNode object(int index, String name) {
    JsonNode node = require(index, name, "a struct (JSON object)");
    if (!node.isObject()) {
      throw wrongType(index, name, "a struct (JSON object)", node);
    }
    return node;
  }

  private List<String> strings(JsonNode node, int index, String name) {
    if (!node.isArray()) {
      throw wrongType(index, name, "an array of strings", node);
    }
    List<String> out = new ArrayList<>(node.size());
    for (JsonNode element : node) {
      if (!element.isTextual()) {
        throw wrongType(index, name, "an array of strings", node);
      }
      out.add(element.asText());
    }
    return out;
  }

  private JsonNode require(int index, String name, String expected) {
    if (!has(index)) {
      throw RpcException.invalidParams(method + " needs " + name + " (" + expected
          + ") as parameter " + (index + 1) + " after the secret");
    }
    return values.get(index);
  }

  private RpcException wrongType(int index, String name, String expected, JsonNode got) {
    String shown = got.toString();
    if (shown.length() > 60) {
      shown = shown.substring(0, 60) + "...";
    }
    return RpcException.invalidParams(method + ": " + name + " (parameter " + (index + 1)
        + " after the secret) must be " + expected + ", was " + shown);
  }
}
