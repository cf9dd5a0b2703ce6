package io.rangefetch.server.download;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Which directories a download may be written into: the download directory and the
 * directories inside it, never one outside, whether by {@code ..}, by an absolute path or
 * through a symbolic link that leads out. Directories asked for are created when missing.
 * Thread-safe (stateless).
 */
public final class DirectoryPolicy {
  private static final int MAX_CHARS = 1024;

  private final Path downloadDir;

  /**
   * @param downloadDir the absolute, normalised download directory
   */
  public DirectoryPolicy(Path downloadDir) {
    this.downloadDir = Objects.requireNonNull(downloadDir, "downloadDir");
  }

  /**
   * Checks a directory a client asks for and creates it if missing.
   *
   * @param asked absolute, or relative to the download directory
   * @return the directory relative to the download directory, {@code /}-separated; empty for the
   *     download directory itself
   * @throws IllegalArgumentException if it is not a path, has a {@code ..}, lies outside the
   *     download directory or leads out of it through a symbolic link, or names a file; the
   *     message says which and what to send
   * @throws IOException if it cannot be created (permissions, disk)
   */
  public String check(String asked) throws IOException {
    Objects.requireNonNull(asked, "asked");
    Path path;
    try {
      path = Path.of(asked);
    } catch (InvalidPathException e) {
      throw refused(asked, "is not a path (" + e.getReason() + ")");
    }
    if (asked.length() > MAX_CHARS) {
      throw refused(asked, "is longer than " + MAX_CHARS + " characters");
    }
    for (Path part : path) {
      if (part.toString().equals("..")) {
        throw refused(asked, "contains \"..\"");
      }
    }
    Path resolved = downloadDir.resolve(path).normalize();
    if (!resolved.startsWith(downloadDir)) {
      throw refused(asked, "is outside the download directory");
    }
    String relative = downloadDir.relativize(resolved).toString().replace('\\', '/');
    create(relative);
    return relative;
  }

  /**
   * Returns a directory inside the download directory, created if missing: a download's
   * directory when a run starts, checked again as it may have changed on disk since the add.
   *
   * @param relative as {@link #check} returned it
   * @return the absolute directory
   * @throws IllegalArgumentException if it now leads out of the download directory
   * @throws IOException if it cannot be created
   */
  public Path create(String relative) throws IOException {
    if (relative.isEmpty()) {
      return downloadDir;
    }
    Path real = downloadDir.toRealPath();
    Path current = downloadDir;
    for (Path part : downloadDir.getFileSystem().getPath(relative)) {
      current = current.resolve(part);
      if (!Files.exists(current, LinkOption.NOFOLLOW_LINKS)) {
        try {
          Files.createDirectory(current);
        } catch (FileAlreadyExistsException e) {
          // Created meanwhile by another download: checked below like any directory.
        }
      }
      Path realCurrent;
      try {
        realCurrent = current.toRealPath();
      } catch (IOException e) {
        throw refused(relative, "leads to " + current + ", a symbolic link to nothing");
      }
      if (!realCurrent.startsWith(real)) {
        throw refused(relative, "leads out of the download directory through the symbolic link "
            + current);
      }
      if (!Files.isDirectory(realCurrent)) {
        throw refused(relative, "names " + current + ", which is a file, not a directory");
      }
    }
    return current;
  }

  private IllegalArgumentException refused(String asked, String why) {
    String shown = asked.replaceAll("\\p{Cntrl}", "?");
    shown = shown.length() <= 80 ? shown : shown.substring(0, 80) + "...";
    return new IllegalArgumentException("directory \"" + shown + "\" " + why + "; files are"
        + " written only inside " + downloadDir + ": send a directory inside it (relative to it,"
        + " such as \"music/2026\", or absolute), or leave dir out");
  }
}
