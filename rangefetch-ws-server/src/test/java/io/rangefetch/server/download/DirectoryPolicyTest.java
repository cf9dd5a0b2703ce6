package io.rangefetch.server.download;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The directories a download may be written into, on a real file system. */
class DirectoryPolicyTest {
  @TempDir Path root;
  private Path downloads;
  private DirectoryPolicy policy;

  @BeforeEach
  void setUp() throws Exception {
    downloads = Files.createDirectories(root.resolve("downloads"));
    policy = new DirectoryPolicy(downloads);
  }

  @Test
  void relative_createdWhenMissing() throws Exception {
    assertEquals("a/b", policy.check("a/b/"));
    assertTrue(Files.isDirectory(downloads.resolve("a/b")));
  }

  @Test
  void absoluteInside_madeRelative() throws Exception {
    assertEquals("c", policy.check(downloads.resolve("c").toString()));
    assertEquals("", policy.check(downloads.toString()));
    assertEquals("", policy.check("."));
  }

  @Test
  void dotDot_refusedEvenWhenItStaysInside() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> policy.check("a/../b"));
    assertTrue(e.getMessage().contains("contains \"..\""), e.getMessage());
  }

  @Test
  void absoluteOutside_refused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> policy.check(root.resolve("elsewhere").toString()));
    assertTrue(e.getMessage().contains("is outside the download directory"), e.getMessage());
    assertTrue(Files.notExists(root.resolve("elsewhere")));
  }

  @Test
  void symbolicLinkLeaving_refusedAndNothingCreatedOutside() throws Exception {
    Path outside = Files.createDirectories(root.resolve("outside"));
    Files.createSymbolicLink(downloads.resolve("link"), outside);

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> policy.check("link/x"));

    assertTrue(e.getMessage().contains("through the symbolic link"), e.getMessage());
    assertTrue(Files.notExists(outside.resolve("x")));
  }

  @Test
  void symbolicLinkStayingInside_allowed() throws Exception {
    Files.createDirectories(downloads.resolve("real"));
    Files.createSymbolicLink(downloads.resolve("alias"), downloads.resolve("real"));

    assertEquals("alias/y", policy.check("alias/y"));
    assertTrue(Files.isDirectory(downloads.resolve("real/y")));
  }

  @Test
  void fileInTheWay_refused() throws Exception {
    Files.writeString(downloads.resolve("taken"), "x");

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> policy.check("taken/z"));

    assertTrue(e.getMessage().contains("which is a file, not a directory"), e.getMessage());
  }
}
