package io.rangefetch.server;

/**
 * A configuration value that cannot be used; start-up stops with its message, which names the
 * key, the value, where it came from and what is expected. Immutable.
 */
final class BadConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  BadConfigException(String message) {
    super(message, null, false, false);
  }
}
