package io.rangefetch.server.download;

/** Where a move in the waiting queue counts from, as aria2's {@code changePosition} says. */
public enum QueueAnchor {
  /** From the front: position 0 starts next ({@code POS_SET}). */
  START,
  /** From the download's own position ({@code POS_CUR}). */
  CURRENT,
  /** From the last position ({@code POS_END}). */
  END
}
