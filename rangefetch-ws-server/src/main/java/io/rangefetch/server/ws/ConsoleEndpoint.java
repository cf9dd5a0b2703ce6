package io.rangefetch.server.ws;

import io.rangefetch.server.download.DownloadService;
import io.rangefetch.server.protocol.AddCommand;
import io.rangefetch.server.protocol.CommandException;
import io.rangefetch.server.protocol.ConsoleLines;
import io.rangefetch.server.protocol.StatusJson;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The console on {@code /}: a person types a URL, {@code list} or {@code help} and reads lines
 * back; a message starting with {@code {} is a JSON command as on {@code /ws}. Not subscribed to
 * pushes until it sends {@code {"op":"subscribe"}}. Not thread-safe by itself: Jetty calls one
 * session's listener one event at a time.
 */
public final class ConsoleEndpoint extends TextEndpoint {
  private static final Pattern LOOKS_LIKE_URL = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]*:.*");

  private final String hello;
  private final CommandHandler commands;
  private final DownloadService service;

  ConsoleEndpoint(OpenSessions sessions, int maxMessageBytes, String hello,
      CommandHandler commands, DownloadService service) {
    super(sessions, maxMessageBytes);
    this.hello = hello;
    this.commands = commands;
    this.service = service;
  }

  @Override
  protected void opened(SessionSender sender) {
    sender.send(hello);
  }

  @Override
  protected void text(String text, SessionSender sender) {
    String line = text.strip();
    if (line.startsWith("{")) {
      commands.handle(line, sender);
    } else if (line.equalsIgnoreCase("help")) {
      sender.send(ConsoleLines.help());
    } else if (line.equalsIgnoreCase("list")) {
      list(sender);
    } else if (LOOKS_LIKE_URL.matcher(line).matches()) {
      add(line, sender);
    } else {
      sender.send(ConsoleLines.error("expected an http:// or https:// URL, \"list\" or \"help\", "
          + "got \"" + shorten(line) + "\""));
    }
  }

  @Override
  protected String tooLarge(long bytes, int max) {
    return ConsoleLines.error("the message has " + bytes + " bytes, more than the " + max
        + " accepted; the connection closes");
  }

  private void add(String url, SessionSender sender) {
    try {
      sender.send(ConsoleLines.reply(service.add(AddCommand.of(url))));
    } catch (CommandException e) {
      sender.send(ConsoleLines.error(e.getMessage()));
    }
  }

  private void list(SessionSender sender) {
    List<StatusJson> downloads = service.list();
    if (downloads.isEmpty()) {
      sender.send(ConsoleLines.noDownloads());
    }
    for (StatusJson status : downloads) {
      sender.send(ConsoleLines.reply(status));
    }
  }

  private static String shorten(String s) {
    String one = s.replaceAll("\\p{Cntrl}", " ");
    return one.length() <= 60 ? one : one.substring(0, 60) + "...";
  }
}
