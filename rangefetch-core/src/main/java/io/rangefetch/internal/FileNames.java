package io.rangefetch.internal;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Picks a file name from a server's {@code Content-Disposition} or the URL, reduced to one
 * plain, safe name: no directories, no {@code ..}, no control characters, at most 255 bytes.
 * A server never chooses where a file goes.
 */
public final class FileNames {
  /** The name used when neither the server nor the URL gives one. */
  public static final String FALLBACK = "download";
  /**
   * Leaves room within 255 bytes for what is added to a name: " (10000)" by IfExists.RENAME and
   * ".part.rangefetch.tmp" for the control file's temporary file.
   */
  private static final int MAX_BYTES = 255 - " (10000)".length()
      - PartFileNames.MAX_ADDED_LENGTH;
  private static final Pattern EXTENDED =
      Pattern.compile("(?i)filename\\*\\s*=\\s*([\\w!#$&+.^`|~-]+)'[^']*'([^;\\s]+)");
  private static final Pattern QUOTED = Pattern.compile("(?i)filename\\s*=\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");
  private static final Pattern TOKEN = Pattern.compile("(?i)filename\\s*=\\s*([^;\"\\s]+)");
  // Compiled once: String.replaceAll and matches compile their pattern on every call.
  private static final Pattern LEADING_DOTS_AND_SPACES = Pattern.compile("^[.\\s]+");
  private static final Pattern TRAILING_DOTS_AND_SPACES = Pattern.compile("[.\\s]+$");
  private static final Pattern WINDOWS_DEVICE = Pattern.compile("CON|PRN|AUX|NUL|COM\\d|LPT\\d");

  private FileNames() {}

  /** The name for a response: Content-Disposition first, then the URL's last path segment. */
  public static String choose(@Nullable String contentDisposition, URI uri) {
    String fromHeader = contentDisposition == null ? null : fromContentDisposition(contentDisposition);
    if (fromHeader != null) {
      String safe = sanitize(fromHeader);
      if (!safe.isEmpty()) {
        return safe;
      }
    }
    String path = uri.getRawPath();
    if (path != null) {
      int slash = path.lastIndexOf('/');
      String segment = path.substring(slash + 1);
      String safe = sanitize(decode(segment, StandardCharsets.UTF_8));
      if (!safe.isEmpty()) {
        return safe;
      }
    }
    return FALLBACK;
  }

  private static @Nullable String fromContentDisposition(String header) {
    Matcher extended = EXTENDED.matcher(header);
    if (extended.find()) {
      try {
        return decode(extended.group(2), Charset.forName(extended.group(1)));
      } catch (IllegalArgumentException e) {
        // An unknown charset: fall back to the plain filename parameter.
      }
    }
    Matcher quoted = QUOTED.matcher(header);
    if (quoted.find()) {
      return quoted.group(1).replaceAll("\\\\(.)", "$1");
    }
    Matcher token = TOKEN.matcher(header);
    return token.find() ? token.group(1) : null;
  }

  private static String decode(String s, Charset charset) {
    try {
      return URLDecoder.decode(s.replace("+", "%2B"), charset);
    } catch (IllegalArgumentException e) {
      return s;
    }
  }

  /**
   * Reduces any string to a safe plain file name, or "" when nothing usable is left.
   *
   * @param raw a name from a header, a URL or a user
   * @return the last path segment of {@code raw}, without control characters, characters that
   *     some file systems refuse, leading dots or trailing dots and spaces, at most 255 bytes
   */
  public static String sanitize(String raw) {
    String name = raw;
    int cut = Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\'));
    name = name.substring(cut + 1);
    StringBuilder clean = new StringBuilder(name.length());
    name.codePoints().forEach(c -> {
      boolean control = c < 0x20 || (c >= 0x7f && c < 0xa0) || c == 0x2028 || c == 0x2029
          || Character.getType(c) == Character.FORMAT;
      boolean reserved = "<>:\"|?*".indexOf(c) >= 0;
      clean.appendCodePoint(control || reserved ? '_' : c);
    });
    name = clean.toString().strip();
    name = LEADING_DOTS_AND_SPACES.matcher(name).replaceAll("");
    name = TRAILING_DOTS_AND_SPACES.matcher(name).replaceAll("");
    if (name.isEmpty() || isWindowsDevice(name)) {
      return "";
    }
    return truncate(name);
  }

  private static boolean isWindowsDevice(String name) {
    String base = name.contains(".") ? name.substring(0, name.indexOf('.')) : name;
    return WINDOWS_DEVICE.matcher(base.toUpperCase(Locale.ROOT)).matches();
  }

  /** Shortens to MAX_BYTES of UTF-8, keeping a short extension. */
  private static String truncate(String name) {
    if (name.getBytes(StandardCharsets.UTF_8).length <= MAX_BYTES) {
      return name;
    }
    int dot = name.lastIndexOf('.');
    String ext = dot > 0 && name.length() - dot <= 16 ? name.substring(dot) : "";
    String base = ext.isEmpty() ? name : name.substring(0, dot);
    int budget = MAX_BYTES - ext.getBytes(StandardCharsets.UTF_8).length;
    StringBuilder kept = new StringBuilder();
    int used = 0;
    for (int i = 0; i < base.length(); ) {
      int c = base.codePointAt(i);
      int size = new String(Character.toChars(c)).getBytes(StandardCharsets.UTF_8).length;
      if (used + size > budget) {
        break;
      }
      kept.appendCodePoint(c);
      used += size;
      i += Character.charCount(c);
    }
    return kept + ext;
  }

  /** {@code name} with " (n)" before its extension: {@code a.iso} → {@code a (2).iso}. */
  public static String numbered(String name, int n) {
    int dot = name.lastIndexOf('.');
    String suffix = " (" + n + ")";
    return dot > 0 ? name.substring(0, dot) + suffix + name.substring(dot) : name + suffix;
  }
}
