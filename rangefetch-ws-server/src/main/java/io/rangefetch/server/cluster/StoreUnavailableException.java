package io.rangefetch.server.cluster;

import java.io.IOException;

/**
 * The cluster's database cannot be used at start: unreachable, refusing the user or password,
 * or holding a schema this server does not know. The message says which and what to check.
 */
public final class StoreUnavailableException extends IOException {
  private static final long serialVersionUID = 1L;

  StoreUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
