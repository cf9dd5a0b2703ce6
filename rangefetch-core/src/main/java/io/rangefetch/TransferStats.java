package io.rangefetch;

/**
 * What the engine did to keep a download fast, counted over its runs: how many requests it
 * sent, how many of them went out ahead on a busy connection, and how often it moved work away
 * from a slow connection. Immutable.
 *
 * @param requests range requests sent, the first one included
 * @param pipelined requests sent on a connection before its current response had ended, so
 *     that no round trip is spent idle between two chunks
 * @param steals times a free connection took over the tail of a slower connection's request
 * @param races times a free connection raced a slow one on the last bytes of a chunk; each
 *     byte is written once, by whichever got it first
 * @param reconnects connections closed and opened again because they were far slower than the
 *     others for several seconds
 * @param shortResponses {@code 206} responses that carried fewer bytes than asked for (a valid,
 *     shorter {@code Content-Range}); the rest was asked for again
 */
public record TransferStats(long requests, long pipelined, long steals, long races,
    long reconnects, long shortResponses) {

  /** Nothing counted yet. */
  public static final TransferStats NONE = new TransferStats(0, 0, 0, 0, 0, 0);

  /**
   * Creates the counts and checks them.
   *
   * @param requests range requests sent
   * @param pipelined requests sent ahead on a busy connection
   * @param steals tails taken over from slower connections
   * @param races races on the last bytes of a chunk
   * @param reconnects slow connections replaced
   * @param shortResponses responses shorter than asked
   * @throws IllegalArgumentException if a count is negative
   */
  public TransferStats {
    if (requests < 0 || pipelined < 0 || steals < 0 || races < 0 || reconnects < 0
        || shortResponses < 0) {
      throw new IllegalArgumentException("transfer counts cannot be negative: requests="
          + requests + ", pipelined=" + pipelined + ", steals=" + steals + ", races=" + races
          + ", reconnects=" + reconnects + ", shortResponses=" + shortResponses);
    }
  }
}
