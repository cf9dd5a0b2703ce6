package io.rangefetch.server.jsonrpc;

import java.util.Objects;

/**
 * A call that cannot be carried out; it becomes a JSON-RPC {@code error} object and changes
 * nothing. Immutable and thread-safe.
 */
class RpcException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** JSON-RPC 2.0: the text is not JSON. */
  static final int PARSE_ERROR = -32700;
  /** JSON-RPC 2.0: not a request object (no {@code method} string, no {@code id}). */
  static final int INVALID_REQUEST = -32600;
  /** JSON-RPC 2.0: no method of that name. */
  static final int METHOD_NOT_FOUND = -32601;
  /** JSON-RPC 2.0: a parameter is missing or of the wrong type. */
  static final int INVALID_PARAMS = -32602;
  /** JSON-RPC 2.0: a bug of the server. */
  static final int INTERNAL_ERROR = -32603;
  /** aria2's code of a method that was called correctly but failed (faultCode 1 in XML-RPC). */
  static final int FAILED = 1;

  private final int code;

  RpcException(int code, String message) {
    super(Objects.requireNonNull(message, "message"), null, false, false);
    this.code = code;
  }

  /** A correct call that cannot be done: unknown GID, wrong state, a feature not available. */
  static RpcException failed(String message) {
    return new RpcException(FAILED, message);
  }

  /** A parameter is missing, of the wrong type or out of range. */
  static RpcException invalidParams(String message) {
    return new RpcException(INVALID_PARAMS, message);
  }

  int code() {
    return code;
  }
}
