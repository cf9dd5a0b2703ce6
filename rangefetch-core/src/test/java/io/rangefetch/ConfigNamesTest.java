package io.rangefetch;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ConfigNamesTest {
  @Test
  void aKeyBecomesItsEnvironmentVariable() {
    assertEquals("RANGEFETCH_LIMITS_MAX_THREADS",
        ConfigNames.environmentVariable("limits.max-threads"));
    assertEquals("RANGEFETCH_SERVER_PORT", ConfigNames.environmentVariable("server.port"));
  }

  @Test
  void upperCaseDoesNotDependOnTheDefaultLocale() {
    java.util.Locale before = java.util.Locale.getDefault();
    java.util.Locale.setDefault(java.util.Locale.forLanguageTag("tr"));
    try {
      // In Turkish, "i".toUpperCase() is a dotted capital I.
      assertEquals("RANGEFETCH_LIMITS_MAX_CONNECTIONS_PER_HOST",
          ConfigNames.environmentVariable("limits.max-connections-per-host"));
    } finally {
      java.util.Locale.setDefault(before);
    }
  }
}
