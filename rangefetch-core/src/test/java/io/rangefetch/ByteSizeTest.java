package io.rangefetch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ByteSizeTest {

  @ParameterizedTest(name = "{0} = {1} bytes")
  @CsvSource({
      "0, 0",
      "1048576, 1048576",
      "512K, 524288",
      "512k, 524288",
      "4M, 4194304",
      "4MiB, 4194304",
      "4MB, 4194304",
      "1G, 1073741824",
      "2T, 2199023255552",
      "100B, 100",
      "' 8M ', 8388608"})
  void parse_acceptsPlainBytesAndBinarySuffixes(String text, long bytes) {
    assertEquals(bytes, ByteSize.parse(text));
  }

  @ParameterizedTest
  @ValueSource(strings = {"4X", "", "M", "-1", "1.5M", "4 M B", "0x10", "4KK"})
  void parse_malformed_namesTheValueAndTheFormat(String text) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ByteSize.parse(text));

    assertTrue(e.getMessage().contains("\"" + text + "\""), e.getMessage());
    assertTrue(e.getMessage().contains("512K or 4M"), e.getMessage());
  }

  @Test
  void parse_overflow_isRefused() {
    assertThrows(IllegalArgumentException.class, () -> ByteSize.parse("8388608T"));
    assertThrows(IllegalArgumentException.class, () -> ByteSize.parse("99999999999999999999"));
  }

  @Test
  void parse_largestValue_isAccepted() {
    assertEquals(Long.MAX_VALUE, ByteSize.parse(Long.toString(Long.MAX_VALUE)));
    assertEquals(8388607L << 40, ByteSize.parse("8388607T"));
  }

  @ParameterizedTest(name = "{0} bytes = {1}")
  @CsvSource({
      "0, 0 B",
      "1023, 1023 B",
      "1024, 1.0 KiB",
      "10240, 10.0 KiB",
      "1572864, 1.5 MiB",
      "4294967296, 4.0 GiB"})
  void format_usesBinaryUnits(long bytes, String text) {
    assertEquals(text, ByteSize.format(bytes));
  }
}
