package io.rangefetch.server.protocol;

import org.jspecify.annotations.Nullable;

/**
 * One parsed client message. Immutable and thread-safe.
 *
 * @param op what to do
 * @param requestId the id to echo in the reply, or null
 * @param id the download's id for {@code get pause resume cancel remove}, else null
 * @param add the fields of an {@code add}, else null
 * @param update the fields of an {@code update}, else null
 */
public record Command(Op op, @Nullable String requestId, @Nullable String id,
    @Nullable AddCommand add, @Nullable UpdateCommand update) {

  /**
   * A command that is not an {@code update}.
   *
   * @param op what to do
   * @param requestId the id to echo in the reply, or null
   * @param id the download's id, or null
   * @param add the fields of an {@code add}, or null
   */
  public Command(Op op, @Nullable String requestId, @Nullable String id,
      @Nullable AddCommand add) {
    this(op, requestId, id, add, null);
  }

  /** The operations of the protocol. */
  public enum Op {
    /** Start a download, or return the one with the same URL. */
    ADD,
    /** All downloads, newest first. */
    LIST,
    /** One download. */
    GET,
    /** Pause one download. */
    PAUSE,
    /** Resume one download. */
    RESUME,
    /** Cancel one download. */
    CANCEL,
    /** Forget one download, cancelling it first if it runs. */
    REMOVE,
    /** Change a download: a new URL for the same file, other mirrors. */
    UPDATE,
    /** Receive status pushes. */
    SUBSCRIBE,
    /** Stop receiving status pushes. */
    UNSUBSCRIBE
  }

  /**
   * Returns the download id, for the ops that require one.
   *
   * @return the id
   * @throws IllegalStateException if this op carries no id
   */
  public String requireId() {
    if (id == null) {
      throw new IllegalStateException(op + " carries no id");
    }
    return id;
  }

  /**
   * Returns the fields of an {@code update}.
   *
   * @return the fields
   * @throws IllegalStateException if this is not an update
   */
  public UpdateCommand requireUpdate() {
    if (update == null) {
      throw new IllegalStateException(op + " is not an update");
    }
    return update;
  }

  /**
   * Returns the fields of an {@code add}.
   *
   * @return the fields
   * @throws IllegalStateException if this is not an add
   */
  public AddCommand requireAdd() {
    if (add == null) {
      throw new IllegalStateException(op + " is not an add");
    }
    return add;
  }
}
