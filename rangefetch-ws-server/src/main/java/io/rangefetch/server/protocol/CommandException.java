package io.rangefetch.server.protocol;

import java.util.Objects;

/**
 * A command that cannot be carried out; it becomes an {@code error} reply and changes nothing.
 * Immutable and thread-safe.
 */
public final class CommandException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final ErrorCode code;

  /**
   * Creates the exception.
   *
   * @param code the protocol's error code
   * @param message what was wrong and what to send instead, for a person
   */
  public CommandException(ErrorCode code, String message) {
    super(Objects.requireNonNull(message, "message"), null, false, false);
    this.code = Objects.requireNonNull(code, "code");
  }

  /** The message it was made with, never null. */
  @Override
  public String getMessage() {
    return Objects.requireNonNull(super.getMessage());
  }

  /**
   * Returns the protocol's error code.
   *
   * @return the code
   */
  public ErrorCode code() {
    return code;
  }
}
