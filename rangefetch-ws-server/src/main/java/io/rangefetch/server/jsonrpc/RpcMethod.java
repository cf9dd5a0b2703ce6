package io.rangefetch.server.jsonrpc;

import com.fasterxml.jackson.databind.JsonNode;

/** One aria2 method: its parameters in, its result out. Implementations are thread-safe. */
@FunctionalInterface
interface RpcMethod {
  /**
   * Runs the method.
   *
   * @param params the parameters after the secret
   * @return the result
   * @throws RpcException if the call cannot be carried out; then nothing changed
   */
  JsonNode call(Params params);
}
