package io.rangefetch.server.ws;

import io.rangefetch.server.protocol.ErrorCode;
import io.rangefetch.server.protocol.Replies;

/**
 * The JSON API on {@code /ws}: {@code hello}, then the {@code list}, then replies and pushes.
 * Not thread-safe by itself: Jetty calls one session's listener one event at a time.
 */
public final class ApiEndpoint extends TextEndpoint {
  private final String hello;
  private final CommandHandler commands;

  ApiEndpoint(OpenSessions sessions, int maxMessageBytes, String hello, CommandHandler commands) {
    super(sessions, maxMessageBytes);
    this.hello = hello;
    this.commands = commands;
  }

  @Override
  protected void opened(SessionSender sender) {
    sender.send(hello);
    commands.listAndSubscribe(sender);
  }

  @Override
  protected void text(String text, SessionSender sender) {
    commands.handle(text, sender);
  }

  @Override
  protected String tooLarge(long bytes, int max) {
    return Replies.error(null, ErrorCode.LIMIT, "the message has " + bytes
        + " bytes, more than the " + max + " accepted; the connection closes (1009)");
  }
}
