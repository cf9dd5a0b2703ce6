package io.rangefetch.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;

/**
 * The names of the files that sit beside a download's target while it is not complete, in one
 * place: the part file ({@code NAME.part}), its control file ({@code NAME.part.rangefetch}, with
 * the temporary file it is written through) and its live record
 * ({@code NAME.part.rangefetch-live}). Nothing else builds these names.
 */
public final class PartFileNames {
  private static final String PART = ".part";
  private static final String CONTROL = ".rangefetch";
  private static final String LIVE = ".rangefetch-live";
  private static final String TEMP = ".tmp";
  /** The most that is added to a target's name: the control file's temporary file. */
  static final int MAX_ADDED_LENGTH = (PART + CONTROL + TEMP).length();

  private PartFileNames() {}

  /** The part file: the bytes written so far, at their offsets. */
  static Path part(Path target) {
    return sibling(target, PART);
  }

  /** The control file: what the part file holds, durably (see {@link ControlFile}). */
  static Path control(Path target) {
    return sibling(target, PART + CONTROL);
  }

  /** The temporary file a new control file is written to before it takes the name. */
  static Path controlTemp(Path target) {
    return sibling(target, PART + CONTROL + TEMP);
  }

  /** The live record: what was written, trusted within one boot (see {@link LiveRecord}). */
  static Path live(Path target) {
    return sibling(target, PART + LIVE);
  }

  /** Every file of a partial download of {@code target}. */
  static List<Path> all(Path target) {
    return List.of(part(target), control(target), controlTemp(target), live(target));
  }

  /**
   * Whether a partial download of {@code target} is on disk: its part file exists as a regular
   * file (not followed through a link).
   *
   * @param target the file a download writes once complete
   * @return whether its part file is there
   */
  public static boolean partExists(Path target) {
    return Files.isRegularFile(part(target), LinkOption.NOFOLLOW_LINKS);
  }

  /**
   * Deletes the files of a partial download of {@code target}: the part file, its control file
   * and live record. The caller makes sure that no download is writing them.
   *
   * @param target the file a download writes once complete
   * @return whether anything was deleted
   * @throws IOException if a file is there but cannot be deleted
   */
  public static boolean delete(Path target) throws IOException {
    boolean any = false;
    for (Path file : all(target)) {
      any |= Files.deleteIfExists(file);
    }
    return any;
  }

  private static Path sibling(Path target, String suffix) {
    return target.resolveSibling(target.getFileName() + suffix);
  }
}
