package io.rangefetch.testing;

import java.util.Random;

/** Random file contents that are the same on every run. */
public final class SeededBytes {
  private SeededBytes() {}

  public static byte[] of(int size, long seed) {
    byte[] bytes = new byte[size];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }
}
