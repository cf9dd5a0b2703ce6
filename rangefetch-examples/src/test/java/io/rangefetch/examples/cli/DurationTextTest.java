package io.rangefetch.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationTextTest {

  @ParameterizedTest(name = "{0} = {1}")
  @CsvSource({
      "0, PT0S",
      "0ms, PT0S",
      "500ms, PT0.5S",
      "2s, PT2S",
      "2S, PT2S",
      "30, PT30S",
      "1m, PT1M",
      "90m, PT1H30M",
      "1h, PT1H",
      "' 2 s ', PT2S"})
  void parse_acceptsWholeNumbersWithAUnit(String text, Duration duration) {
    assertEquals(duration, DurationText.parse(text));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "s", "-1s", "1.5s", "2x", "1d", "PT1S", "1 m s", "2sec"})
  void parse_malformed_namesTheValueAndTheFormat(String text) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> DurationText.parse(text));

    assertTrue(e.getMessage().contains("\"" + text + "\""), e.getMessage());
    assertTrue(e.getMessage().contains("500ms or 2s"), e.getMessage());
  }

  @Test
  void parse_overflow_isRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> DurationText.parse("999999999999999999h"));

    assertTrue(e.getMessage().contains("too long"), e.getMessage());
  }
}
