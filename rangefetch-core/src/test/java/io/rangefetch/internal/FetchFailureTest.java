package io.rangefetch.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rangefetch.DownloadException;
import io.rangefetch.DownloadException.Reason;
import java.net.URI;
import org.junit.jupiter.api.Test;

class FetchFailureTest {
  @Test
  void aBugOfTheEngineIsInternalNotANetworkFailure() {
    // given an exception that escaped a run
    FetchFailure bug = FetchFailure.bug(new IllegalStateException("lease taken twice"));

    // when
    DownloadException told = bug.toDownloadException(URI.create("http://example.org/f"), null);

    // then callers are not told to run again, and the data is not kept for that
    assertEquals(Reason.INTERNAL, told.reason());
    assertEquals("internal", told.reason().code());
    assertFalse(bug.isRetryable());
    assertFalse(told.partFileKept());
    assertTrue(told.getMessage().contains("please report this bug"), told::getMessage);
  }
}
