package io.rangefetch.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A real WebSocket client (the JDK's) that queues every text frame, and the close, in a
 * {@link BlockingQueue}. Tests wait on the queue with generous timeouts; nothing sleeps.
 * Thread-safe.
 */
final class ProtocolClient implements AutoCloseable {
  static final Duration WAIT = Duration.ofSeconds(60);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  /** A close received from the server. */
  record Closed(int code, String reason) {}

  private final BlockingQueue<Object> frames = new LinkedBlockingQueue<>();
  // frames passed over while waiting for another; later waits look here first, in order
  private final Deque<Object> skipped = new ArrayDeque<>();
  // every text frame ever received, in order
  private final List<String> history = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final WebSocket socket;
  private volatile boolean reading;

  private ProtocolClient(URI uri, Map<String, String> headers, boolean read) throws Exception {
    this.reading = read;
    WebSocket.Builder builder = HTTP.newWebSocketBuilder().connectTimeout(WAIT);
    headers.forEach(builder::header);
    this.socket = builder.buildAsync(uri, new Listener()).get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  static ProtocolClient connect(URI uri) throws Exception {
    return new ProtocolClient(uri, Map.of(), true);
  }

  static ProtocolClient connect(URI uri, Map<String, String> headers) throws Exception {
    return new ProtocolClient(uri, headers, true);
  }

  /** A client that reads nothing until {@link #startReading()}: a stuck browser tab. */
  static ProtocolClient connectWithoutReading(URI uri) throws Exception {
    return new ProtocolClient(uri, Map.of(), false);
  }

  void startReading() {
    reading = true;
    socket.request(Long.MAX_VALUE);
  }

  void send(String text) {
    socket.sendText(text, true).join();
  }

  /**
   * Sends the first parts of a message, as separate frames, and never its end: the server sees
   * the message grow without a frame too large to read.
   */
  void sendUnfinished(String... parts) {
    for (String part : parts) {
      socket.sendText(part, false).join();
    }
  }

  void sendBinary(byte[] bytes) {
    socket.sendBinary(ByteBuffer.wrap(bytes), true).join();
  }

  /** The next frame's text; fails if none comes in time or the connection closed. */
  String next() throws InterruptedException {
    Object frame = take(WAIT.toNanos());
    assertNotNull(frame, "no frame within " + WAIT);
    if (frame instanceof Closed closed) {
      fail("the connection closed: " + closed);
    }
    return (String) frame;
  }

  JsonNode nextJson() throws Exception {
    return JSON.readTree(next());
  }

  /** Skips frames until one of this type; returns it. */
  JsonNode await(String type) throws Exception {
    return awaitJson(node -> type.equals(node.path("type").asText()), "a " + type + " message");
  }

  /** Skips frames until the reply to {@code requestId}; returns it. */
  JsonNode reply(String requestId) throws Exception {
    return awaitJson(node -> requestId.equals(node.path("requestId").asText(null)),
        "the reply to " + requestId);
  }

  /** Sends a command with a request id and returns its reply. */
  JsonNode request(String requestId, String json) throws Exception {
    send(json.replaceFirst("\\{", "{\"requestId\":\"" + requestId + "\","));
    return reply(requestId);
  }

  /** Skips frames until a status push of download {@code id} in {@code state}; returns it. */
  JsonNode awaitState(String id, String state) throws Exception {
    return awaitJson(node -> "status".equals(node.path("type").asText())
        && !node.has("requestId")
        && id.equals(node.path("download").path("id").asText())
        && state.equals(node.path("download").path("state").asText()),
        "a push of download " + id + " in state " + state).get("download");
  }

  JsonNode awaitJson(Predicate<JsonNode> wanted, String what) throws Exception {
    synchronized (skipped) {
      for (Iterator<Object> it = skipped.iterator(); it.hasNext(); ) {
        Object frame = it.next();
        if (frame instanceof String text && text.startsWith("{")
            && wanted.test(JSON.readTree(text))) {
          it.remove();
          return JSON.readTree(text);
        }
      }
    }
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (true) {
      long left = deadline - System.nanoTime();
      Object frame = frames.poll(Math.max(0, left), TimeUnit.NANOSECONDS);
      if (frame == null) {
        List<String> seen = history();
        fail("waited " + WAIT + " for " + what + "; the last frames were "
            + seen.subList(Math.max(0, seen.size() - 6), seen.size()));
      }
      if (frame instanceof Closed closed) {
        fail("the connection closed while waiting for " + what + ": " + closed);
      }
      String text = (String) frame;
      if (text.startsWith("{")) {
        JsonNode node = JSON.readTree(text);
        if (wanted.test(node)) {
          return node;
        }
      }
      synchronized (skipped) {
        skipped.add(frame);
      }
    }
  }

  private Object take(long nanos) throws InterruptedException {
    synchronized (skipped) {
      if (!skipped.isEmpty()) {
        return skipped.poll();
      }
    }
    return frames.poll(nanos, TimeUnit.NANOSECONDS);
  }

  /** Skips frames until the close; returns it. */
  Closed awaitClose() throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (true) {
      Object frame = take(Math.max(0, deadline - System.nanoTime()));
      if (frame == null) {
        fail("the connection did not close within " + WAIT);
      }
      if (frame instanceof Closed closed) {
        return closed;
      }
    }
  }

  /** Returns the next frame if one arrives within {@code wait}, else null. */
  Object poll(Duration wait) throws InterruptedException {
    return take(wait.toNanos());
  }

  /** Every text frame received so far, taken or not, in order. */
  List<String> history() {
    return List.copyOf(history);
  }

  void assertHello() throws Exception {
    JsonNode hello = nextJson();
    assertEquals("hello", hello.get("type").asText(), hello.toString());
  }

  @Override
  public void close() {
    if (!socket.isOutputClosed()) {
      socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye");
    }
    socket.abort();
  }

  private final class Listener implements WebSocket.Listener {
    private final StringBuilder partial = new StringBuilder();

    @Override
    public void onOpen(WebSocket webSocket) {
      if (reading) {
        webSocket.request(1);
      }
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        history.add(partial.toString());
        frames.add(partial.toString());
        partial.setLength(0);
      }
      if (reading) {
        webSocket.request(1);
      }
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
      frames.add(new Closed(statusCode, reason));
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
      frames.add(new Closed(-1, String.valueOf(error)));
    }
  }
}
