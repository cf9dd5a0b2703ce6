package io.rangefetch;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rangefetch.testing.RangeDispatcher;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import mockwebserver3.MockWebServer;
import mockwebserver3.junit5.StartStop;
import org.junit.jupiter.api.io.TempDir;

/**
 * A test that downloads {@code /file.bin} from a {@link RangeDispatcher} on a MockWebServer,
 * started and stopped around each test, into a fresh temporary directory.
 */
abstract class ServedFileTest {
  @StartStop final MockWebServer server = new MockWebServer();
  @TempDir Path dir;

  /** Serves {@code content} at every path of {@link #server}. */
  RangeDispatcher serve(byte[] content) {
    RangeDispatcher files = new RangeDispatcher(content);
    server.setDispatcher(files);
    return files;
  }

  /** Where {@link #server} serves {@code /file.bin}. */
  URI uri() {
    return server.url("/file.bin").uri();
  }

  /** Fails, naming what is there, unless {@link #dir} is empty. */
  void assertDirectoryEmpty() throws IOException {
    try (var listing = Files.list(dir)) {
      List<Path> left = listing.toList();
      assertTrue(left.isEmpty(), () -> "left behind: " + left);
    }
  }
}
