package io.rangefetch.server.ws;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.junit.jupiter.api.Test;

/** The per-session queue: one frame in flight, superseded progress dropped, bounded. */
class SessionSenderTest {

  /** A session whose client reads only when told: sends complete on {@link #completeOne()}. */
  static final class StuckSession {
    final List<String> sent = new ArrayList<>();
    final List<Callback> pending = new ArrayList<>();
    final List<Integer> closes = new ArrayList<>();
    final Session session = (Session) Proxy.newProxyInstance(Session.class.getClassLoader(),
        new Class<?>[] {Session.class}, (proxy, method, args) -> {
          switch (method.getName()) {
            case "sendText" -> {
              sent.add((String) args[0]);
              pending.add((Callback) args[1]);
            }
            case "close" -> closes.add((Integer) args[0]);
            case "isOpen" -> {
              return true;
            }
            default -> { }
          }
          return null;
        });

    void completeOne() {
      pending.remove(0).succeed();
    }
  }

  @Test
  void keepsOneFrameInFlight() {
    StuckSession client = new StuckSession();
    SessionSender sender = new SessionSender(client.session, 100);

    sender.send("a");
    sender.send("b");
    sender.send("c");

    assertEquals(List.of("a"), client.sent);
    client.completeOne();
    assertEquals(List.of("a", "b"), client.sent);
    assertEquals(1, sender.queued());
  }

  @Test
  void newerStatusReplacesQueuedProgressOfTheSameDownload() {
    StuckSession client = new StuckSession();
    SessionSender sender = new SessionSender(client.session, 100);
    sender.send("in flight");

    for (int i = 0; i < 10_000; i++) {
      sender.sendStatus("7", "progress " + i, false);
      sender.sendStatus("8", "other " + i, false);
    }

    assertEquals(2, sender.queued());
    client.completeOne();
    client.completeOne();
    assertEquals(List.of("in flight", "progress 9999", "other 9999"), client.sent);
  }

  @Test
  void stateChangesAreNeverDroppedAndStayInOrder() {
    StuckSession client = new StuckSession();
    SessionSender sender = new SessionSender(client.session, 100);
    sender.send("in flight");

    sender.sendStatus("7", "downloading 1", false);
    sender.sendStatus("7", "paused", true);
    sender.sendStatus("7", "downloading 2", false);
    sender.sendStatus("7", "downloading 3", false);
    sender.sendStatus("7", "completed", true);
    while (!client.pending.isEmpty()) {
      client.completeOne();
    }

    assertEquals(List.of("in flight", "paused", "completed"), client.sent);
  }

  @Test
  void closesTheSessionWhenTheQueueIsFull() {
    StuckSession client = new StuckSession();
    SessionSender sender = new SessionSender(client.session, 10);
    sender.send("in flight");

    for (int i = 0; i < 11; i++) {
      sender.send("reply " + i);
    }
    sender.send("after the close");

    assertEquals(List.of(1008), client.closes);
    assertEquals(0, sender.queued());
  }

  @Test
  void closeAfterQueuedWaitsForTheFramesBeforeIt() {
    StuckSession client = new StuckSession();
    SessionSender sender = new SessionSender(client.session, 10);
    sender.send("error reply");

    sender.closeAfterQueued(1009, "too large");

    assertEquals(List.of(), client.closes);
    client.completeOne();
    assertEquals(List.of(1009), client.closes);
  }
}
