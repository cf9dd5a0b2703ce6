package io.rangefetch.server.jsonrpc;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rangefetch.server.protocol.MirrorJson;
import io.rangefetch.server.protocol.StatusJson;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/**
 * Shows a download as aria2's {@code aria2.tellStatus} struct: every value a string, as the
 * manual says; the keys that apply to an HTTP download, and none of BitTorrent's. Immutable and
 * thread-safe.
 */
final class Aria2Status {
  /** aria2's {@code status} words. */
  static final String ACTIVE = "active";
  static final String WAITING = "waiting";
  static final String PAUSED = "paused";
  static final String ERROR = "error";
  static final String COMPLETE = "complete";
  static final String REMOVED = "removed";

  /**
   * Our {@code error.code} values as the exit status codes of aria2's manual ("EXIT STATUS");
   * anything not listed is 1, "an unknown error".
   */
  private static final Map<String, String> ERROR_CODES = Map.of(
      "timeout", "2",
      "network", "6",
      "disk", "17",
      "file_exists", "13",
      "http_status", "22",
      "server_misbehaved", "22",
      "redirect", "23",
      "checksum_mismatch", "32");

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private final Path downloadDir;

  Aria2Status(Path downloadDir) {
    this.downloadDir = downloadDir;
  }

  /**
   * Returns aria2's status word of one of our states.
   *
   * @param state {@code queued probing downloading paused completed failed cancelled}
   * @return {@code waiting active paused complete error removed}
   */
  static String word(String state) {
    return switch (state) {
      case "queued" -> WAITING;
      case "probing", "downloading" -> ACTIVE;
      case "paused" -> PAUSED;
      case "completed" -> COMPLETE;
      case "failed" -> ERROR;
      case "cancelled" -> REMOVED;
      default -> throw new IllegalArgumentException("unknown state " + state);
    };
  }

  static boolean stopped(String word) {
    return word.equals(COMPLETE) || word.equals(ERROR) || word.equals(REMOVED);
  }

  /**
   * Returns the struct of one download.
   *
   * @param s its status
   * @param keys the keys asked for; empty for all
   * @return the struct
   */
  ObjectNode struct(StatusJson s, Set<String> keys) {
    String word = word(s.state());
    ObjectNode out = NODES.objectNode();
    out.put("gid", Gids.of(s.id()));
    out.put("status", word);
    out.put("totalLength", Long.toString(length(s)));
    out.put("completedLength", Long.toString(s.bytesDone()));
    out.put("uploadLength", "0");
    out.put("downloadSpeed", Long.toString(speed(s)));
    out.put("uploadSpeed", "0");
    out.put("connections", Integer.toString(s.threads()));
    out.put("pieceLength", Long.toString(s.chunkBytes()));
    out.put("numPieces", Long.toString(s.size() == null ? 0
        : (s.size() + s.chunkBytes() - 1) / s.chunkBytes()));
    out.put("dir", dir(s, downloadDir));
    out.set("files", files(s));
    if (word.equals(COMPLETE)) {
      out.put("errorCode", "0");
    } else if (word.equals(ERROR) && s.error() != null) {
      out.put("errorCode", ERROR_CODES.getOrDefault(s.error().code(), "1"));
      out.put("errorMessage", s.error().message());
    }
    if (!keys.isEmpty()) {
      out.retain(keys);
    }
    return out;
  }

  /** {@code aria2.getFiles}: the one file of an HTTP download. */
  ArrayNode files(StatusJson s) {
    ObjectNode file = NODES.objectNode();
    file.put("index", "1");
    file.put("path", path(s));
    file.put("length", Long.toString(length(s)));
    file.put("completedLength", Long.toString(s.bytesDone()));
    file.put("selected", "true");
    file.set("uris", uris(s));
    return NODES.arrayNode().add(file);
  }

  /**
   * {@code aria2.getUris}: the download's URL and its mirrors that are not dropped, each
   * {@code used} once the download has started and the source is used, else {@code waiting}.
   */
  ArrayNode uris(StatusJson s) {
    String word = word(s.state());
    boolean started = !word.equals(WAITING) && !word.equals(PAUSED);
    ArrayNode list = NODES.arrayNode();
    if (s.mirrors() == null) {
      return list.add(uri(s.url(), started ? "used" : "waiting"));
    }
    for (MirrorJson m : s.mirrors()) {
      if (!m.state().equals("dropped")) {
        list.add(uri(m.url(), started && m.state().equals("active") ? "used" : "waiting"));
      }
    }
    return list;
  }

  private static ObjectNode uri(String uri, String status) {
    ObjectNode node = NODES.objectNode();
    node.put("uri", uri);
    node.put("status", status);
    return node;
  }

  /**
   * {@code aria2.getServers} of an active download: each source fetched from, where it led,
   * and its speed.
   */
  ArrayNode servers(StatusJson s) {
    ArrayNode servers = NODES.arrayNode();
    if (s.mirrors() == null) {
      servers.add(server(s.url(), s.finalUrl() == null ? s.url() : s.finalUrl(), speed(s)));
    } else {
      boolean active = word(s.state()).equals(ACTIVE);
      for (int i = 0; i < s.mirrors().size(); i++) {
        MirrorJson m = s.mirrors().get(i);
        if (m.state().equals("active")) {
          String current = i == 0 && s.finalUrl() != null ? s.finalUrl() : m.url();
          servers.add(server(m.url(), current, active ? m.speedBps() : 0));
        }
      }
    }
    ObjectNode file = NODES.objectNode();
    file.put("index", "1");
    file.set("servers", servers);
    return NODES.arrayNode().add(file);
  }

  private static ObjectNode server(String uri, String currentUri, long speed) {
    ObjectNode server = NODES.objectNode();
    server.put("uri", uri);
    server.put("currentUri", currentUri);
    server.put("downloadSpeed", Long.toString(speed));
    return server;
  }

  /** The file's path: the complete file, else where it is going, else "" while not named. */
  private String path(StatusJson s) {
    if (s.file() != null) {
      return Path.of(URI.create(s.file())).toString();
    }
    return s.fileName() == null ? "" : downloadDir.resolve(s.fileName()).toString();
  }

  /**
   * The download's directory: the complete file's, else the download directory (a download into
   * a directory inside it shows that directory once complete).
   */
  static String dir(StatusJson s, Path downloadDir) {
    String file = s.file();
    Path parent = file == null ? null : Path.of(URI.create(file)).getParent();
    return parent == null ? downloadDir.toString() : parent.toString();
  }

  private static long length(StatusJson s) {
    return s.size() == null ? 0 : s.size();
  }

  static long speed(StatusJson s) {
    return word(s.state()).equals(ACTIVE) && s.speedBps() != null ? s.speedBps() : 0;
  }
}
