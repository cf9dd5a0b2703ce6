package io.rangefetch.server.protocol;

import java.util.Locale;

/**
 * The {@code code} of an {@code error} reply, as the protocol names it. Immutable and
 * thread-safe.
 */
public enum ErrorCode {
  /** Not JSON, no or unknown {@code op}, a missing or ill-typed field. */
  BAD_REQUEST,
  /** Not an absolute http(s) URL, unparseable, or refused by the URL policy. */
  BAD_URL,
  /** No download has this id. */
  NOT_FOUND,
  /** Too many downloads or sessions, or a message too large. */
  LIMIT,
  /** The command does not fit the state of the download. */
  CONFLICT,
  /** A bug or an unexpected failure of the server. */
  INTERNAL;

  /**
   * Returns the name the protocol uses.
   *
   * @return for example {@code "bad_request"}
   */
  public String code() {
    return name().toLowerCase(Locale.ROOT);
  }
}
