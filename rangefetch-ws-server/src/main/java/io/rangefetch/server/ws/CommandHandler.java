package io.rangefetch.server.ws;

import io.rangefetch.server.download.DownloadService;
import io.rangefetch.server.protocol.Command;
import io.rangefetch.server.protocol.CommandException;
import io.rangefetch.server.protocol.Commands;
import io.rangefetch.server.protocol.ErrorCode;
import io.rangefetch.server.protocol.Replies;
import java.util.Objects;
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

  private void execute(Command command, SessionSender sender) {
    String rid = command.requestId();
    switch (command.op()) {
      case ADD -> sender.send(Replies.added(rid, service.add(command.requireAdd())));
      case LIST -> sender.send(Replies.list(rid, service.list()));
      case GET -> sender.send(Replies.status(rid, service.get(command.requireId())));
      case PAUSE -> sender.send(Replies.ok(rid, service.pause(command.requireId())));
      case RESUME -> sender.send(Replies.ok(rid, service.resume(command.requireId())));
      case CANCEL -> sender.send(Replies.ok(rid, service.cancel(command.requireId())));
      case REMOVE -> sender.send(Replies.ok(rid, service.remove(command.requireId())));
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
