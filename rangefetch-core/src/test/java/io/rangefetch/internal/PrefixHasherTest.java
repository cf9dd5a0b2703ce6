package io.rangefetch.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rangefetch.ByteRange;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The digest of a file written out of order, hashed as its prefix grows. */
class PrefixHasherTest {
  @TempDir Path dir;
  private final AtomicInteger backgroundRuns = new AtomicInteger();
  // Runs at once, on the caller's thread, and counts.
  private final Executor counting = task -> {
    backgroundRuns.incrementAndGet();
    task.run();
  };

  @Test
  void aSmallFileIsHashedByFinishWithoutAHandOff() throws Exception {
    byte[] content = random(100 * 1024);
    try (FileChannel channel = written(content)) {
      PrefixHasher hasher = new PrefixHasher(channel, new RangeSet(), counting, java.util.Set.of("SHA-256"));
      hasher.written(new ByteRange(50 * 1024, content.length - 1));
      hasher.written(new ByteRange(0, 50 * 1024 - 1));

      assertEquals(sha256(content), java.util.HexFormat.of().formatHex(hasher.finish(content.length).get("SHA-256")));
      assertEquals(0, backgroundRuns.get());
    }
  }

  @Test
  void aLargeFileIsHashedInTheBackgroundAsItsPrefixGrows() throws Exception {
    byte[] content = random(5 * 1024 * 1024 + 123);
    int piece = 256 * 1024;
    try (FileChannel channel = written(content)) {
      PrefixHasher hasher = new PrefixHasher(channel, new RangeSet(), counting, java.util.Set.of("SHA-256"));
      // The second half first: nothing to hash until the prefix reaches it.
      for (int at = content.length / 2; at < content.length; at += piece) {
        hasher.written(new ByteRange(at, Math.min(at + piece, content.length) - 1));
      }
      assertEquals(0, backgroundRuns.get());
      for (int at = 0; at < content.length / 2; at += piece) {
        hasher.written(new ByteRange(at, Math.min(at + piece, content.length / 2) - 1));
      }

      assertTrue(backgroundRuns.get() > 0, "never hashed in the background");
      assertEquals(sha256(content), java.util.HexFormat.of().formatHex(hasher.finish(content.length).get("SHA-256")));
    }
  }

  private FileChannel written(byte[] content) throws Exception {
    FileChannel channel = FileChannel.open(dir.resolve("f.part"), StandardOpenOption.CREATE,
        StandardOpenOption.READ, StandardOpenOption.WRITE);
    ByteBuffer buffer = ByteBuffer.wrap(content);
    while (buffer.hasRemaining()) {
      channel.write(buffer, buffer.position());
    }
    return channel;
  }

  private static byte[] random(int size) {
    byte[] bytes = new byte[size];
    new Random(size).nextBytes(bytes);
    return bytes;
  }

  private static String sha256(byte[] content) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
  }
}
