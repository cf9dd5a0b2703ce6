package io.rangefetch.server.jsonrpc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.rangefetch.server.download.DownloadService;
import io.rangefetch.server.protocol.SetLimitsCommand;
import io.rangefetch.server.protocol.StatusJson;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * aria2's methods on the server as a whole: statistics, global options, version, session, and
 * shutdown (refused unless configured). Torrents and Metalink are answered with a clear error.
 * Thread-safe.
 */
final class ServerMethods {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final TextNode OK = TextNode.valueOf("OK");

  private final DownloadService service;
  private final Aria2Options options;
  private final String version;
  private final boolean shutdownAllowed;
  private final Runnable shutdown;
  /** aria2's session id: new each time the server starts. */
  private final String sessionId;

  /**
   * Creates the methods.
   *
   * @param shutdownAllowed whether {@code aria2.shutdown} may stop the server
   * @param shutdown stops the server; run once the reply is on its way
   */
  ServerMethods(DownloadService service, Aria2Options options, String version,
      boolean shutdownAllowed, Runnable shutdown) {
    this.service = service;
    this.options = options;
    this.version = version;
    this.shutdownAllowed = shutdownAllowed;
    this.shutdown = shutdown;
    byte[] id = new byte[20];
    new SecureRandom().nextBytes(id);
    this.sessionId = HexFormat.of().formatHex(id);
  }

  /**
   * {@code max-overall-download-limit} is the server's rate limit over all downloads. aria2's
   * global {@code max-download-limit} is a default for each new download, which rangefetch does
   * not have: only 0 is taken.
   */
  private JsonNode changeGlobalOption(Params p) {
    Map<String, Long> limits = Aria2Options.change(p.atMost(1).object(0, "options"),
        List.of("max-overall-download-limit", "max-download-limit"));
    Long perDownload = limits.get("max-download-limit");
    if (perDownload != null && perDownload != 0) {
      throw RpcException.failed("option max-download-limit " + perDownload + " bytes/s: rangefetch"
          + " has no default limit for each new download; limit all downloads together with"
          + " max-overall-download-limit, or one download with aria2.changeOption");
    }
    Long overall = limits.get("max-overall-download-limit");
    if (overall != null) {
      service.traffic().set(new SetLimitsCommand(overall, null));
    }
    return OK;
  }

  void register(Map<String, RpcMethod> table) {
    table.put("aria2.getGlobalStat", p -> globalStat(p.atMost(0)));
    table.put("aria2.getGlobalOption",
        p -> options.global(service.traffic().now().limitBytesPerSecond()));
    table.put("aria2.changeGlobalOption", this::changeGlobalOption);
    table.put("aria2.getVersion", p -> versionStruct(p.atMost(0)));
    table.put("aria2.getSessionInfo", p -> {
      p.atMost(0);
      return NODES.objectNode().put("sessionId", sessionId);
    });
    // The list is written to disk on every change already (docs/architecture.md).
    table.put("aria2.saveSession", p -> OK);
    table.put("aria2.shutdown", this::shutdown);
    table.put("aria2.forceShutdown", this::shutdown);
    table.put("aria2.addTorrent", p -> {
      throw RpcException.failed("BitTorrent is not supported by rangefetch, an HTTP(S)"
          + " downloader; add http or https URLs with aria2.addUri");
    });
    table.put("aria2.addMetalink", p -> {
      throw RpcException.failed("Metalink is not supported by rangefetch; add the file's http"
          + " or https URL with aria2.addUri");
    });
  }

  private JsonNode globalStat(Params p) {
    long speed = 0;
    int active = 0;
    int waiting = 0;
    int stopped = 0;
    for (StatusJson s : service.list()) {
      String word = Aria2Status.word(s.state());
      switch (word) {
        case Aria2Status.ACTIVE -> {
          active++;
          speed += Aria2Status.speed(s);
        }
        case Aria2Status.WAITING, Aria2Status.PAUSED -> waiting++;
        default -> stopped++;
      }
    }
    ObjectNode out = NODES.objectNode();
    out.put("downloadSpeed", Long.toString(speed));
    out.put("uploadSpeed", "0");
    out.put("numActive", Integer.toString(active));
    out.put("numWaiting", Integer.toString(waiting));
    out.put("numStopped", Integer.toString(stopped));
    out.put("numStoppedTotal", Integer.toString(stopped));
    return out;
  }

  private JsonNode versionStruct(Params p) {
    ObjectNode out = NODES.objectNode();
    out.put("version", version);
    out.set("enabledFeatures", NODES.arrayNode().add("HTTPS").add("Message Digest"));
    return out;
  }

  private JsonNode shutdown(Params p) {
    p.atMost(0);
    if (!shutdownAllowed) {
      throw RpcException.failed(p.method() + " is refused: this server does not let its"
          + " clients stop it; set rpc.allow-shutdown=true to allow it (docs/configuration.md)");
    }
    p.afterReply(shutdown);
    return OK;
  }
}
