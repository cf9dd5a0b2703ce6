package io.rangefetch.server.download;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.rangefetch.server.protocol.CommandException;
import io.rangefetch.server.protocol.ErrorCode;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The file name a client asks for is a plain name inside the download directory, or refused. */
class FileNamesTest {
  private static final Path DIR = Path.of("/srv/downloads");

  @Test
  void plainNamesLandInTheDownloadDirectory() {
    assertEquals(DIR.resolve("a.iso"), FileNames.target(DIR, "a.iso"));
    assertEquals(DIR.resolve("my file (1).tar.gz"), FileNames.target(DIR, "my file (1).tar.gz"));
    assertEquals(DIR.resolve("été.txt"), FileNames.target(DIR, "été.txt"));
  }

  @Test
  void noNameLeavesTheChoiceToTheCore() {
    assertEquals(DIR, FileNames.target(DIR, null));
  }

  @Test
  void namesThatAreNotPlainAreBadRequests() {
    List<String> bad = List.of("", ".", "..", "../a", "a/b", "/etc/passwd", "a\\b", "..\\a",
        ".hidden", "c:a", "a\u0000b", "a\nb", "trailing.", "trailing ", "x".repeat(256),
        "a*b", "a?b", "a|b", "a\"b", "a<b>");

    for (String name : bad) {
      CommandException e = assertThrows(CommandException.class,
          () -> FileNames.target(DIR, name), name);
      assertEquals(ErrorCode.BAD_REQUEST, e.code(), name);
    }
  }
}
