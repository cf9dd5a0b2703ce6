package io.rangefetch.server.protocol;

import org.jspecify.annotations.Nullable;

/**
 * One parsed client message. Immutable and thread-safe.
 *
 * @param op what to do
 * @param requestId the id to echo in the reply, or null
 * @param id the download's id for {@code get pause resume cancel remove update}, else null
 * @param add the fields of an {@code add}, else null
 * @param update the fields of an {@code update}, else null
 * @param limits the fields of a {@code setLimits}, else null
 */
public record Command(Op op, @Nullable String requestId, @Nullable String id,
    @Nullable AddCommand add, @Nullable UpdateCommand update, @Nullable SetLimitsCommand limits) {

  /**
   * A command without the fields of {@code update} and {@code setLimits}.
   *
   * @param op what to do
   * @param requestId the id to echo, or null
   * @param id the download's id, or null
   * @param add the fields of an {@code add}, or null
   */
  public Command(Op op, @Nullable String requestId, @Nullable String id, @Nullable AddCommand add) {
    this(op, requestId, id, add, null, null);
  }

  /** The operations of the protocol. */
  public enum Op {
    /** Start a download, or return the one with the same URL. */
    ADD("add"),
    /** All downloads, newest first. */
    LIST("list"),
    /** One download. */
    GET("get"),
    /** Pause one download. */
    PAUSE("pause"),
    /** Resume one download. */
    RESUME("resume"),
    /** Cancel one download. */
    CANCEL("cancel"),
    /** Forget one download, cancelling it first if it runs. */
    REMOVE("remove"),
    /** Receive status pushes. */
    SUBSCRIBE("subscribe"),
    /** Stop receiving status pushes. */
    UNSUBSCRIBE("unsubscribe"),
    /** Change settings of one download while it runs (its rate limit). */
    UPDATE("update"),
    /** Change the server's traffic limits over all downloads. */
    SET_LIMITS("setLimits");

    private final String wireName;

    Op(String wireName) {
      this.wireName = wireName;
    }

    /**
     * Returns the op as messages spell it.
     *
     * @return for example {@code setLimits}
     */
    public String wireName() {
      return wireName;
    }
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
   * Returns the fields of a {@code setLimits}.
   *
   * @return the fields
   * @throws IllegalStateException if this is not a setLimits
   */
  public SetLimitsCommand requireLimits() {
    if (limits == null) {
      throw new IllegalStateException(op + " is not a setLimits");
    }
    return limits;
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
