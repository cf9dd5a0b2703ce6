package io.rangefetch.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.rangefetch.server.protocol.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Reads what the server keeps on disk as a test sees it: the state file, with the journal's
 * entries after its {@code journalSeq} applied in order. Written apart from the server's own
 * reader, so that a test checks the format, not the reader against itself.
 */
public final class StateOnDisk {
  public static final String STATE_FILE = ".rangefetch-state.json";
  public static final String JOURNAL = ".rangefetch-state.journal";

  private StateOnDisk() {}

  /**
   * Returns the downloads by id, oldest record first; an unreadable (torn) journal line is
   * skipped, as the server does.
   *
   * @param dir the download directory
   * @throws IOException if the state file cannot be read or parsed
   */
  public static Map<String, JsonNode> downloads(Path dir) throws IOException {
    Map<String, JsonNode> byId = new LinkedHashMap<>();
    long seen = 0;
    Path file = dir.resolve(STATE_FILE);
    if (Files.exists(file)) {
      JsonNode state = Json.mapper().readTree(file.toFile());
      seen = state.path("journalSeq").asLong(0);
      for (JsonNode d : state.get("downloads")) {
        byId.put(d.get("status").get("id").asText(), d);
      }
    }
    Path journal = dir.resolve(JOURNAL);
    if (Files.exists(journal)) {
      for (String line : Files.readString(journal, StandardCharsets.UTF_8).split("\n")) {
        JsonNode entry;
        try {
          entry = Json.mapper().readTree(line);
        } catch (IOException e) {
          continue; // being written right now
        }
        if (entry == null || entry.path("seq").asLong() <= seen) {
          continue;
        }
        if (entry.hasNonNull("put")) {
          byId.put(entry.get("put").get("status").get("id").asText(), entry.get("put"));
        } else if (entry.hasNonNull("remove")) {
          byId.remove(entry.get("remove").asText());
        }
      }
    }
    return byId;
  }

  /**
   * Returns the kept status of one download, or null if it is not kept (or not readable yet).
   *
   * @param dir the download directory
   * @param id the download's id
   */
  public static @Nullable JsonNode status(Path dir, String id) {
    try {
      JsonNode d = downloads(dir).get(id);
      return d == null ? null : d.get("status");
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }
}
