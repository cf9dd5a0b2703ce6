package io.rangefetch.server.jsonrpc;

import io.rangefetch.server.protocol.StatusJson;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * aria2's GIDs (16 hex digits) for the server's download ids. A decimal id is its own number in
 * hex ({@code "26"} is {@code 000000000000001a}), so the GID stays the same across restarts and
 * names the same download on {@code /ws}; any other id is named by the first 16 hex digits of its
 * SHA-256. Thread-safe.
 */
final class Gids {
  private static final Pattern DECIMAL = Pattern.compile("[0-9]{1,18}");
  private static final Pattern GID_TEXT = Pattern.compile("[0-9a-fA-F]{1,16}");

  private Gids() {}

  /** The GID of a download id. */
  static String of(String id) {
    if (DECIMAL.matcher(id).matches()) {
      return String.format(Locale.ROOT, "%016x", Long.parseLong(id));
    }
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256")
          .digest(id.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }

  /**
   * Finds the download a GID names. As in aria2, a prefix of a GID is enough when only one
   * download's GID starts with it.
   *
   * @param gid the GID or its prefix, as the client sent it
   * @param downloads the downloads to look in
   * @return the download
   * @throws RpcException if the text is not a GID, or no download or more than one matches
   */
  static StatusJson find(String gid, List<StatusJson> downloads) {
    if (!GID_TEXT.matcher(gid).matches()) {
      throw RpcException.failed("Invalid GID " + shorten(gid)
          + ": a GID is 1 to 16 hex digits, as aria2.addUri and aria2.tellActive return them");
    }
    String wanted = gid.toLowerCase(Locale.ROOT);
    StatusJson found = null;
    for (StatusJson s : downloads) {
      String g = of(s.id());
      if (g.equals(wanted)) {
        return s;
      }
      if (g.startsWith(wanted)) {
        if (found != null) {
          throw RpcException.failed("GID " + wanted + " is not unique: several downloads start"
              + " with it; send all 16 digits");
        }
        found = s;
      }
    }
    if (found == null) {
      throw RpcException.failed("GID " + wanted + " is not found: no download has it (it may"
          + " have been removed); aria2.tellActive, tellWaiting and tellStopped list the GIDs");
    }
    return found;
  }

  private static String shorten(String s) {
    String shown = s.replaceAll("\\p{Cntrl}", "?");
    return shown.length() <= 40 ? shown : shown.substring(0, 40) + "...";
  }
}
