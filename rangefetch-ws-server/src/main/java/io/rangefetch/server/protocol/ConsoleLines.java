package io.rangefetch.server.protocol;

import java.math.BigDecimal;
import java.math.RoundingMode;

/** Builds the text lines of the console on {@code /}. Thread-safe. */
public final class ConsoleLines {
  private ConsoleLines() {}

  /**
   * The reply to a URL: the {@code file:///} URI once the download is complete and its file is
   * on disk, else a status line.
   *
   * @param status the download
   * @return one line
   */
  public static String reply(StatusJson status) {
    if (status.file() != null && !status.fileMissing()) {
      return status.file();
    }
    return statusLine(status);
  }

  /**
   * The status line of a download:
   * {@code url:<url>, size:<bytes or unknown>, threads:<n>, progress:<percent>%, state:<state>},
   * followed by {@code , error:<message>} when it failed, or by
   * {@code , file:missing (<file:/// URI> ...)} when it completed and its file was deleted or
   * moved since.
   *
   * @param status the download
   * @return one line
   */
  public static String statusLine(StatusJson status) {
    StringBuilder line = new StringBuilder()
        .append("url:").append(status.url())
        .append(", size:").append(status.size() == null ? "unknown" : status.size().toString())
        .append(", threads:").append(status.threads())
        .append(", progress:").append(percent(status)).append('%')
        .append(", state:").append(status.state());
    if (status.error() != null) {
      line.append(", error:").append(status.error().message());
    }
    if (status.fileMissing()) {
      line.append(", file:missing (").append(status.file())
          .append(" was deleted or moved; send the URL again to download it again)");
    }
    return line.toString();
  }

  /**
   * The line sent for {@code list} when there is no download.
   *
   * @return one line
   */
  public static String noDownloads() {
    return "no downloads yet; send a URL such as https://example.org/a.iso to add one";
  }

  /**
   * The reply to {@code help}.
   *
   * @return a few lines
   */
  public static String help() {
    return String.join("\n",
        "commands:",
        "  <url>   add an http:// or https:// URL; send it again to see its progress,",
        "          or its file:/// link once complete",
        "  list    one line per download, newest first",
        "  help    this text",
        "  {...}   a JSON command as on /ws, for example {\"op\":\"subscribe\"}");
  }

  /**
   * The reply to a line that is not a command.
   *
   * @param what why it was not understood, and what to send instead
   * @return one line starting with {@code error:}
   */
  public static String error(String what) {
    return "error: " + what;
  }

  private static String percent(StatusJson status) {
    if (status.progress() == null) {
      return "0";
    }
    return BigDecimal.valueOf(status.progress() * 100).setScale(1, RoundingMode.DOWN)
        .stripTrailingZeros().toPlainString();
  }
}
