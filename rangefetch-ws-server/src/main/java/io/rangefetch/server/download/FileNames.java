package io.rangefetch.server.download;

import io.rangefetch.server.protocol.CommandException;
import io.rangefetch.server.protocol.ErrorCode;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/** Turns the file name a client asks for into a target inside the download directory. Thread-safe. */
final class FileNames {
  private static final int MAX_NAME_CHARS = 255;

  private FileNames() {}

  /**
   * Returns where a download writes.
   *
   * @param dir the absolute, normalised download directory
   * @param requested the name the client asked for, or null
   * @return {@code dir} itself when no name was asked for (the core then takes a safe name from
   *     the server), else the file in {@code dir}
   * @throws CommandException with {@link ErrorCode#BAD_REQUEST} if the name is not a plain file
   *     name
   */
  static Path target(Path dir, @Nullable String requested) {
    if (requested == null) {
      return dir;
    }
    String why = problem(requested);
    if (why != null) {
      throw new CommandException(ErrorCode.BAD_REQUEST, "fileName \"" + printable(requested)
          + "\" " + why + "; send a plain name such as \"a.iso\", or leave it out");
    }
    Path target = dir.resolve(requested).normalize();
    if (!dir.equals(target.getParent())) {
      throw new CommandException(ErrorCode.BAD_REQUEST, "fileName \"" + printable(requested)
          + "\" points outside the download directory; send a plain name such as \"a.iso\"");
    }
    return target;
  }

  private static @Nullable String problem(String name) {
    if (name.isEmpty() || name.length() > MAX_NAME_CHARS) {
      return "must have 1 to " + MAX_NAME_CHARS + " characters";
    }
    if (name.startsWith(".")) {
      return "must not start with a dot";
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c < 0x20 || c == 0x7f || c == '/' || c == '\\' || c == ':' || c == '*' || c == '?'
          || c == '"' || c == '<' || c == '>' || c == '|') {
        return "contains a character not allowed in file names (/ \\ : * ? \" < > | or a control "
            + "character)";
      }
    }
    if (name.endsWith(" ") || name.endsWith(".")) {
      return "must not end with a space or a dot";
    }
    return null;
  }

  private static String printable(String s) {
    String shown = s.replaceAll("\\p{Cntrl}", "?");
    return shown.length() <= 80 ? shown : shown.substring(0, 80) + "...";
  }
}
