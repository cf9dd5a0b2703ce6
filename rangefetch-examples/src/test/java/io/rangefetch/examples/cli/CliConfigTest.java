package io.rangefetch.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rangefetch.Limits;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CliConfigTest {
  @TempDir Path workingDir;

  @Test
  void usesTheLimitsDefaultsWhenNothingIsConfigured() {
    CliConfig config = CliConfig.load(Optional.empty(), workingDir, Map.of());

    assertEquals(Limits.defaults(), config.limits());
    assertEquals("limits.max-threads=8 (default)", config.describe(CliConfig.Key.MAX_THREADS));
  }

  @Test
  void readsRangefetchPropertiesInTheWorkingDirectory() throws IOException {
    Files.writeString(workingDir.resolve("rangefetch.properties"), """
        limits.max-threads=3
        limits.max-bytes-per-thread=512K
        limits.max-concurrent-downloads=2
        """);

    Limits limits = CliConfig.load(Optional.empty(), workingDir, Map.of()).limits();

    assertEquals(3, limits.maxThreads());
    assertEquals(512 * 1024, limits.maxBytesPerThread());
    assertEquals(2, limits.maxConcurrentDownloads());
  }

  @Test
  void readsTheTrafficLimitsFromTheFileAndTheEnvironment() throws IOException {
    Files.writeString(workingDir.resolve("rangefetch.properties"), """
        limits.max-connections-per-host=4
        limits.max-bytes-per-second=1M
        """);

    Limits limits = CliConfig.load(Optional.empty(), workingDir,
        Map.of("RANGEFETCH_LIMITS_MAX_BYTES_PER_SECOND", "2M")).limits();

    assertEquals(4, limits.maxConnectionsPerHost());
    assertEquals(2 * 1024 * 1024, limits.maxBytesPerSecond());
  }

  @Test
  void configFileReplacesTheOneInTheWorkingDirectory() throws IOException {
    Files.writeString(workingDir.resolve("rangefetch.properties"), "limits.max-threads=3\n");
    Path other = Files.writeString(workingDir.resolve("other.properties"), "limits.max-threads=5\n");

    CliConfig config = CliConfig.load(Optional.of(Path.of("other.properties")), workingDir,
        Map.of());

    assertEquals(5, config.limits().maxThreads());
    assertEquals("limits.max-threads=5 (from " + other + ")",
        config.describe(CliConfig.Key.MAX_THREADS));
  }

  @Test
  void environmentOverridesTheFile() throws IOException {
    Files.writeString(workingDir.resolve("rangefetch.properties"), """
        limits.max-threads=3
        limits.max-bytes-per-thread=512K
        """);

    CliConfig config = CliConfig.load(Optional.empty(), workingDir, Map.of(
        "RANGEFETCH_LIMITS_MAX_THREADS", "2",
        "RANGEFETCH_LIMITS_MAX_BYTES_PER_THREAD", "1K"));

    assertEquals(2, config.limits().maxThreads());
    assertEquals(1024, config.limits().maxBytesPerThread());
    assertEquals("limits.max-threads=2 (from RANGEFETCH_LIMITS_MAX_THREADS)",
        config.describe(CliConfig.Key.MAX_THREADS));
  }

  @Test
  void maxThreads_notANumber_namesKeyValueAndFile() throws IOException {
    Path file = Files.writeString(workingDir.resolve("rangefetch.properties"),
        "limits.max-threads=many\n");

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> CliConfig.load(Optional.empty(), workingDir, Map.of()));

    assertTrue(e.getMessage().startsWith("limits.max-threads=many (from " + file + ")"),
        e.getMessage());
  }

  @Test
  void maxThreads_aboveCeiling_namesKeyValueAndRule() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> CliConfig.load(Optional.empty(), workingDir,
            Map.of("RANGEFETCH_LIMITS_MAX_THREADS", "65")));

    assertTrue(e.getMessage().startsWith(
        "limits.max-threads=65 (from environment variable RANGEFETCH_LIMITS_MAX_THREADS): "
            + "maxThreads must be between 1 and 64"), e.getMessage());
  }

  @Test
  void maxBytesPerThread_badSize_namesKeyAndValue() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> CliConfig.load(Optional.empty(), workingDir,
            Map.of("RANGEFETCH_LIMITS_MAX_BYTES_PER_THREAD", "4X")));

    assertTrue(e.getMessage().startsWith("limits.max-bytes-per-thread=4X"), e.getMessage());
    assertTrue(e.getMessage().contains("512K or 4M"), e.getMessage());
  }

  @Test
  void maxBytesPerThread_zero_isRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> CliConfig.load(Optional.empty(), workingDir,
            Map.of("RANGEFETCH_LIMITS_MAX_BYTES_PER_THREAD", "0")));

    assertTrue(e.getMessage().contains("maxBytesPerThread must be at least 1"), e.getMessage());
  }

  @Test
  void maxThreads_beyondInt_isRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> CliConfig.load(Optional.empty(), workingDir,
            Map.of("RANGEFETCH_LIMITS_MAX_THREADS", "99999999999")));

    assertTrue(e.getMessage().startsWith("limits.max-threads=99999999999"), e.getMessage());
  }

  @Test
  void unknownLimitsKey_isRefusedAsATypo() throws IOException {
    Files.writeString(workingDir.resolve("rangefetch.properties"), "limits.max-thread=4\n");

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> CliConfig.load(Optional.empty(), workingDir, Map.of()));

    assertTrue(e.getMessage().startsWith("unknown key limits.max-thread"), e.getMessage());
    assertTrue(e.getMessage().contains("limits.max-threads"), e.getMessage());
  }

  @Test
  void keysOfOtherProgramsAreLeftAlone() throws IOException {
    Files.writeString(workingDir.resolve("rangefetch.properties"), """
        server.port=8080
        limits.max-threads=2
        """);

    assertEquals(2, CliConfig.load(Optional.empty(), workingDir, Map.of()).limits().maxThreads());
  }

  @Test
  void configFile_malformedEscape_saysWhichFile() throws IOException {
    Path file = Files.writeString(workingDir.resolve("rangefetch.properties"),
        "limits.max-threads=\\u00zz\n");

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> CliConfig.load(Optional.empty(), workingDir, Map.of()));

    assertTrue(e.getMessage().startsWith("cannot read the config file " + file), e.getMessage());
  }

  @Test
  void configFile_missing_saysWhichFile() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> CliConfig.load(Optional.of(Path.of("nope.properties")), workingDir, Map.of()));

    assertTrue(e.getMessage().contains(workingDir.resolve("nope.properties").toString()),
        e.getMessage());
    assertTrue(e.getMessage().contains("--config"), e.getMessage());
  }
}
