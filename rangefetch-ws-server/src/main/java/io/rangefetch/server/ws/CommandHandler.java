package io.rangefetch.server.ws;

import io.rangefetch.server.download.DownloadService;
import io.rangefetch.server.protocol.Command;
import io.rangefetch.server.protocol.CommandException;
import io.rangefetch.server.protocol.Commands;
import io.rangefetch.server.protocol.ErrorCode;
import io.rangefetch.server.protocol.Replies;
import io.rangefetch.server.protocol.StatusJson;
import java.util.Objects;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries out one JSON command of a session and queues the reply. A bad message gets an
 * {@code error} reply and changes nothing; no message closes the connection. Thread-safe.
 */
public final class CommandHandler {
  private static final Logger LOG = LoggerFactory.getLogger(CommandHandler.class);

  private final DownloadService service;

  /**
   * Creates the handler.
   *
   * @param service the downloads
   */
  public CommandHandler(DownloadService service) {
    this.service = Objects.requireNonNull(service, "service");
  }

  /**
   * Handles one message and queues its reply on {@code sender}.
   *
   * @param text the message
   * @param sender the session's sender
   */
  void handle(String text, SessionSender sender) {
    try {
      execute(Commands.parse(text), sender);
    } catch (CommandException e) {
      sender.send(Replies.error(Commands.requestIdOf(text), e.code(), e.getMessage()));
    } catch (RuntimeException e) {
      LOG.error("a command failed unexpectedly", e);
      sender.send(Replies.error(Commands.requestIdOf(text), ErrorCode.INTERNAL,
          "the server failed on this command (" + e.getClass().getSimpleName()
              + "); nothing was changed by the failure; report it if it happens again"));
    }
  }

  /**
   * Sends the {@code list} and subscribes, with no change slipping in between.
   *
   * @param sender the session's sender
   */
  void listAndSubscribe(SessionSender sender) {
    service.withListSnapshot(list -> {
      sender.send(Replies.list(null, list));
      sender.subscribed(true);
    });
  }

  /**
   * Queues a reply that carries a download's status, with the status as it is when the reply
   * is queued, in order with the pushes: a push of a newer status (a download that failed at
   * once, say) can then never be followed by a reply showing an older one.
   */
  private void reply(StatusJson status, Function<StatusJson, String> frame,
      SessionSender sender) {
    service.withCurrentStatus(status, current -> sender.send(frame.apply(current)));
  }

  private void execute(Command command, SessionSender sender) {
    String rid = command.requestId();
    switch (command.op()) {
      case ADD -> reply(service.add(command.requireAdd()), s -> Replies.added(rid, s), sender);
      case LIST -> service.withListSnapshot(list -> sender.send(Replies.list(rid, list)));
      case GET -> reply(service.get(command.requireId()), s -> Replies.status(rid, s), sender);
      case PAUSE -> reply(service.pause(command.requireId()), s -> Replies.ok(rid, s), sender);
      case RESUME -> reply(service.resume(command.requireId()), s -> Replies.ok(rid, s), sender);
      case CANCEL -> reply(service.cancel(command.requireId()), s -> Replies.ok(rid, s), sender);
      case REMOVE -> reply(service.remove(command.requireId()), s -> Replies.ok(rid, s), sender);
      case UPDATE -> reply(service.update(command.requireId(), command.requireUpdate()),
          s -> Replies.ok(rid, s), sender);
      case SUBSCRIBE -> service.withListSnapshot(list -> {
        sender.send(Replies.ok(rid));
        sender.subscribed(true);
      });
      case UNSUBSCRIBE -> service.withListSnapshot(list -> {
        sender.subscribed(false);
        sender.send(Replies.ok(rid));
      });
    }
  }
}
