package io.rangefetch.server.jsonrpc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.TextNode;
import io.rangefetch.server.download.DownloadService;
import io.rangefetch.server.download.QueueAnchor;
import io.rangefetch.server.protocol.CommandException;
import io.rangefetch.server.protocol.ErrorCode;
import io.rangefetch.server.protocol.StatusJson;
import io.rangefetch.server.protocol.UpdateCommand;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * aria2's methods on downloads ({@code addUri}, the {@code tell*} lists, pause, unpause, remove,
 * the per-download queries), carried out on the server's one list: a download added here shows
 * on {@code /ws}, the console and the dashboard, and the other way round. Thread-safe.
 */
final class DownloadMethods {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final TextNode OK = TextNode.valueOf("OK");

  private final DownloadService service;
  private final Aria2Status statuses;
  private final Aria2Options options;

  DownloadMethods(DownloadService service, Aria2Status statuses, Aria2Options options) {
    this.service = service;
    this.statuses = statuses;
    this.options = options;
  }

  void register(Map<String, RpcMethod> table) {
    table.put("aria2.addUri", this::addUri);
    table.put("aria2.remove", this::remove);
    table.put("aria2.forceRemove", this::remove);
    table.put("aria2.pause", this::pause);
    table.put("aria2.pauseAll", p -> pauseAll(p.atMost(0)));
    table.put("aria2.forcePause", this::pause);
    table.put("aria2.forcePauseAll", p -> pauseAll(p.atMost(0)));
    table.put("aria2.unpause", this::unpause);
    table.put("aria2.unpauseAll", p -> unpauseAll(p.atMost(0)));
    table.put("aria2.tellStatus", p -> statuses.struct(find(p.atMost(2)), p.keys(1)));
    table.put("aria2.getUris", p -> statuses.uris(find(p.atMost(1))));
    table.put("aria2.getFiles", p -> statuses.files(find(p.atMost(1))));
    table.put("aria2.getPeers", p -> peers(find(p.atMost(1))));
    table.put("aria2.getServers", this::servers);
    table.put("aria2.tellActive", p -> structs(active(), p.atMost(1).keys(0)));
    table.put("aria2.tellWaiting", p -> page(waiting(), p));
    table.put("aria2.tellStopped", p -> page(stopped(), p));
    table.put("aria2.changePosition", this::changePosition);
    table.put("aria2.changeUri", this::changeUri);
    table.put("aria2.getOption", p -> options.of(find(p.atMost(1))));
    table.put("aria2.changeOption", this::changeOption);
    table.put("aria2.purgeDownloadResult", p -> purge(p.atMost(0)));
    table.put("aria2.removeDownloadResult", this::removeResult);
  }

  private JsonNode addUri(Params p) {
    p.atMost(3);
    List<String> uris = p.strings(0, "uris");
    if (uris.isEmpty()) {
      throw RpcException.invalidParams("aria2.addUri needs at least one URI in uris");
    }
    // Several URIs are mirrors of one file, as in aria2; a URI given twice counts once.
    List<String> distinct = uris.stream().distinct().toList();
    var add = options.add(distinct.get(0), distinct.subList(1, distinct.size()),
        p.has(1) ? p.object(1, "options") : null);
    Integer position = p.has(2) ? p.integer(2, "position") : null;
    if (position != null && position < 0) {
      throw RpcException.failed("position must be 0 or more, was " + position);
    }
    StatusJson added = run(() -> service.add(add));
    if (position != null && Aria2Status.word(added.state()).equals(Aria2Status.WAITING)) {
      // As aria2 inserts it there; one that started at once has no place in the queue.
      quietly(() -> {
        service.move(added.id(), position, QueueAnchor.START);
        return added;
      });
    }
    return TextNode.valueOf(Gids.of(added.id()));
  }

  private JsonNode remove(Params p) {
    StatusJson s = find(p.atMost(1));
    String word = Aria2Status.word(s.state());
    if (Aria2Status.stopped(word)) {
      throw RpcException.failed("GID " + Gids.of(s.id()) + " cannot be removed: it is " + word
          + " already; aria2.removeDownloadResult takes it off the list");
    }
    run(() -> service.cancel(s.id()));
    return TextNode.valueOf(Gids.of(s.id()));
  }

  private JsonNode pause(Params p) {
    StatusJson s = find(p.atMost(1));
    String word = Aria2Status.word(s.state());
    if (Aria2Status.stopped(word)) {
      throw RpcException.failed("GID " + Gids.of(s.id()) + " cannot be paused now: it is "
          + word);
    }
    run(() -> service.pause(s.id()));
    return TextNode.valueOf(Gids.of(s.id()));
  }

  private JsonNode unpause(Params p) {
    StatusJson s = find(p.atMost(1));
    String word = Aria2Status.word(s.state());
    if (!word.equals(Aria2Status.PAUSED)) {
      throw RpcException.failed("GID " + Gids.of(s.id()) + " cannot be unpaused now: it is "
          + word + ", not paused");
    }
    run(() -> service.resume(s.id()));
    return TextNode.valueOf(Gids.of(s.id()));
  }

  private JsonNode pauseAll(Params p) {
    for (StatusJson s : service.list()) {
      String word = Aria2Status.word(s.state());
      if (word.equals(Aria2Status.ACTIVE) || word.equals(Aria2Status.WAITING)) {
        quietly(() -> service.pause(s.id()));
      }
    }
    return OK;
  }

  private JsonNode unpauseAll(Params p) {
    for (StatusJson s : service.list()) {
      if (Aria2Status.word(s.state()).equals(Aria2Status.PAUSED)) {
        quietly(() -> service.resume(s.id()));
      }
    }
    return OK;
  }

  private JsonNode servers(Params p) {
    StatusJson s = find(p.atMost(1));
    if (!Aria2Status.word(s.state()).equals(Aria2Status.ACTIVE)) {
      throw RpcException.failed("No active download for GID " + Gids.of(s.id())
          + ": servers are shown while it downloads");
    }
    return statuses.servers(s);
  }

  /** An HTTP download has no peers: an empty list, as aria2 answers for one. */
  private static JsonNode peers(StatusJson s) {
    return NODES.arrayNode();
  }

  private JsonNode changePosition(Params p) {
    p.atMost(3);
    StatusJson s = find(p);
    int pos = p.integer(1, "pos");
    String how = p.string(2, "how");
    QueueAnchor anchor = switch (how) {
      case "POS_SET" -> QueueAnchor.START;
      case "POS_CUR" -> QueueAnchor.CURRENT;
      case "POS_END" -> QueueAnchor.END;
      default -> throw RpcException.invalidParams("how must be POS_SET, POS_CUR or POS_END, was "
          + how);
    };
    try {
      return NODES.numberNode(service.move(s.id(), pos, anchor));
    } catch (CommandException e) {
      throw RpcException.failed("GID " + Gids.of(s.id()) + " cannot be moved: "
          + e.getMessage());
    }
  }

  private JsonNode changeUri(Params p) {
    p.atMost(5);
    StatusJson s = find(p);
    int fileIndex = p.integer(1, "fileIndex");
    List<String> delUris = p.strings(2, "delUris");
    List<String> addUris = p.strings(3, "addUris");
    if (fileIndex != 1) {
      throw RpcException.failed("fileIndex " + fileIndex + " is not found: an HTTP download has"
          + " one file, index 1");
    }
    if (delUris.isEmpty() && addUris.isEmpty()) {
      return NODES.arrayNode().add(0).add(0);
    }
    List<String> current = new ArrayList<>();
    current.add(s.url());
    if (s.mirrors() != null) {
      s.mirrors().stream().skip(1).filter(m -> !m.state().equals("dropped"))
          .forEach(m -> current.add(m.url()));
    }
    int deleted = 0;
    for (String uri : delUris) {
      deleted += current.remove(uri) ? 1 : 0;
    }
    int at = p.has(4) ? Math.max(0, Math.min(current.size(), p.integer(4, "position")))
        : current.size();
    int added = 0;
    for (String uri : addUris) {
      if (!current.contains(uri)) {
        current.add(at + added, uri);
        added++;
      }
    }
    if (current.isEmpty()) {
      throw RpcException.failed("GID " + Gids.of(s.id()) + " would have no URI left; add one"
          + " in addUris");
    }
    // The first URI left is the download's URL, the others its mirrors.
    String url = current.get(0);
    run(() -> service.update(s.id(), new UpdateCommand(url.equals(s.url()) ? null : url,
        current.subList(1, current.size()))));
    return NODES.arrayNode().add(deleted).add(added);
  }

  private JsonNode changeOption(Params p) {
    p.atMost(2);
    StatusJson s = find(p);
    Long bps = Aria2Options.change(p.object(1, "options"), List.of("max-download-limit"))
        .get("max-download-limit");
    if (bps != null) {
      run(() -> service.update(s.id(), UpdateCommand.limit(bps)));
    }
    return OK;
  }

  private JsonNode removeResult(Params p) {
    StatusJson s = find(p.atMost(1));
    String word = Aria2Status.word(s.state());
    if (!Aria2Status.stopped(word)) {
      throw RpcException.failed("Could not remove download result of GID " + Gids.of(s.id())
          + ": it is " + word + "; stop it with aria2.remove first");
    }
    run(() -> service.remove(s.id()));
    return OK;
  }

  private JsonNode purge(Params p) {
    for (StatusJson s : stopped()) {
      quietly(() -> service.remove(s.id()));
    }
    return OK;
  }

  /** The download of the GID in parameter 1. */
  private StatusJson find(Params p) {
    return Gids.find(p.string(0, "gid"), service.list());
  }

  private List<StatusJson> active() {
    return oldestFirst(s -> Aria2Status.word(s.state()).equals(Aria2Status.ACTIVE));
  }

  /** The waiting queue, front first: queued and paused downloads in the order they came. */
  private List<StatusJson> waiting() {
    return service.waiting();
  }

  /** Stopped downloads, the least recently stopped first (by their last change). */
  private List<StatusJson> stopped() {
    List<StatusJson> out = new ArrayList<>(
        oldestFirst(s -> Aria2Status.stopped(Aria2Status.word(s.state()))));
    out.sort(Comparator.comparing(StatusJson::updatedAt));
    return out;
  }

  private List<StatusJson> oldestFirst(Predicate<StatusJson> wanted) {
    List<StatusJson> out = new ArrayList<>(service.list().stream().filter(wanted).toList());
    Collections.reverse(out);
    return out;
  }

  private ArrayNode structs(List<StatusJson> list, Set<String> keys) {
    ArrayNode out = NODES.arrayNode();
    for (StatusJson s : list) {
      out.add(statuses.struct(s, keys));
    }
    return out;
  }

  /**
   * {@code tellWaiting} and {@code tellStopped}: {@code num} downloads from {@code offset}; a
   * negative offset counts from the end and gives the downloads in reverse order, as the manual
   * shows ({@code tellWaiting(-1, 2)} of A, B, C is C, B).
   */
  private ArrayNode page(List<StatusJson> list, Params p) {
    p.atMost(3);
    long offset = p.integer(0, "offset");
    long num = p.integer(1, "num");
    Set<String> keys = p.keys(2);
    int size = list.size();
    if (num <= 0) {
      return NODES.arrayNode();
    }
    if (offset >= 0) {
      return structs(list.subList((int) Math.min(offset, size),
          (int) Math.min(size, offset + num)), keys);
    }
    long last = size + offset;
    List<StatusJson> out = new ArrayList<>();
    for (long i = last; i >= 0 && i > last - num; i--) {
      out.add(list.get((int) i));
    }
    return structs(out, keys);
  }

  /** Runs a command of the service; its refusal becomes aria2's error (code 1). */
  private static StatusJson run(Supplier<StatusJson> command) {
    try {
      return command.get();
    } catch (CommandException e) {
      throw RpcException.failed(e.getMessage());
    }
  }

  /** For the *All methods: a download that ended or went away meanwhile is skipped. */
  private static void quietly(Supplier<StatusJson> command) {
    try {
      command.get();
    } catch (CommandException e) {
      if (e.code() != ErrorCode.CONFLICT && e.code() != ErrorCode.NOT_FOUND) {
        throw RpcException.failed(e.getMessage());
      }
    }
  }
}
