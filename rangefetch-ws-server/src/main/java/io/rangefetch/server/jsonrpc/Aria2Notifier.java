package io.rangefetch.server.jsonrpc;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rangefetch.server.download.StatusListener;
import io.rangefetch.server.protocol.Json;
import io.rangefetch.server.protocol.StatusJson;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * Sends aria2's notifications to every {@code /jsonrpc} WebSocket session that presented the
 * secret: {@code onDownloadStart} when a download becomes active, {@code onDownloadPause},
 * {@code onDownloadStop} (removed by a user), {@code onDownloadComplete} and
 * {@code onDownloadError}, each {@code {"gid": ...}} once per change of aria2's status. Frames
 * are only queued on each session's sender, so a slow client never slows a download.
 * Thread-safe.
 */
final class Aria2Notifier implements StatusListener {
  static final String START = "aria2.onDownloadStart";
  static final String PAUSE = "aria2.onDownloadPause";
  static final String STOP = "aria2.onDownloadStop";
  static final String COMPLETE = "aria2.onDownloadComplete";
  static final String ERROR = "aria2.onDownloadError";
  /** What {@code system.listNotifications} answers. */
  static final List<String> NAMES = List.of(START, PAUSE, STOP, COMPLETE, ERROR);

  private final Set<JsonRpcEndpoint> sessions = ConcurrentHashMap.newKeySet();
  // aria2's status word last seen per download id; written by the service's notifications,
  // which come one at a time
  private final Map<String, String> lastWord = new ConcurrentHashMap<>();

  void opened(JsonRpcEndpoint session) {
    sessions.add(session);
  }

  void closed(JsonRpcEndpoint session) {
    sessions.remove(session);
  }

  @Override
  public void changed(StatusJson status, boolean stateChanged) {
    String word = Aria2Status.word(status.state());
    if (word.equals(lastWord.put(status.id(), word))) {
      return; // progress, or a change of ours that aria2 does not tell apart (probing, downloading)
    }
    String event = event(word);
    if (event == null) {
      return;
    }
    ObjectNode frame = JsonNodeFactory.instance.objectNode();
    frame.put("jsonrpc", "2.0");
    frame.put("method", event);
    frame.set("params", JsonNodeFactory.instance.arrayNode().add(
        JsonNodeFactory.instance.objectNode().put("gid", Gids.of(status.id()))));
    String text = Json.write(frame);
    for (JsonRpcEndpoint session : sessions) {
      session.notifyIfAuthorized(text);
    }
  }

  @Override
  public void removed(String id) {
    lastWord.remove(id);
  }

  private static @Nullable String event(String word) {
    return switch (word) {
      case Aria2Status.ACTIVE -> START;
      case Aria2Status.PAUSED -> PAUSE;
      case Aria2Status.REMOVED -> STOP;
      case Aria2Status.COMPLETE -> COMPLETE;
      case Aria2Status.ERROR -> ERROR;
      default -> null; // waiting: aria2 has no notification for it
    };
  }
}
