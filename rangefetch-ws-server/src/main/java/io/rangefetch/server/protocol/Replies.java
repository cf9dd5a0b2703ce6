package io.rangefetch.server.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonGenerator;
import io.rangefetch.Limits;
import io.rangefetch.TrafficStatus;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** Builds the JSON text of every server message. Thread-safe. */
public final class Replies {
  private Replies() {}

  /** The protocol version in {@code hello}. */
  public static final int PROTOCOL_VERSION = 1;

  record LimitsJson(int maxThreads, long maxBytesPerThread, int maxConcurrentDownloads,
      @Nullable Long downloadBps, int maxConnectionsPerHost) {
    static LimitsJson of(Limits caps, TrafficStatus traffic) {
      return new LimitsJson(caps.maxThreads(), caps.maxBytesPerThread(),
          caps.maxConcurrentDownloads(),
          traffic.limitBytesPerSecond() == 0 ? null : traffic.limitBytesPerSecond(),
          traffic.maxConnectionsPerHost());
    }
  }

  record Hello(String type, int protocol, String server, String version, LimitsJson limits) {}

  record LimitsReply(String type,
      @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable String requestId, LimitsJson limits) {}

  record DownloadList(String type, @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable String requestId,
      List<StatusJson> downloads) {}

  record Ok(String type, @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable String requestId) {}

  record Error(String type, @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable String requestId,
      String code, String message) {}

  record Removed(String type, String id) {}

  record Health(String status, String version, int downloads, int sessions) {}

  record Unhealthy(String status, String version, String reason) {}

  /**
   * The first message of every session.
   *
   * @param version the project version
   * @param caps the caps the server was configured with
   * @param traffic the traffic limits in force now
   * @return {@code {"type":"hello",...}}
   */
  public static String hello(String version, Limits caps, TrafficStatus traffic) {
    return Json.write(new Hello("hello", PROTOCOL_VERSION, "rangefetch", version,
        LimitsJson.of(caps, traffic)));
  }

  /**
   * The reply to {@code setLimits}: the limits in force afterwards, the object of {@code hello}.
   *
   * @param requestId the request's id, or null
   * @param caps the caps the server was configured with
   * @param traffic the traffic limits in force now
   * @return {@code {"type":"ok","limits":{...}}}
   */
  public static String limits(@Nullable String requestId, Limits caps, TrafficStatus traffic) {
    return Json.write(new LimitsReply("ok", requestId, LimitsJson.of(caps, traffic)));
  }

  /**
   * The reply to {@code list}, and the second message on {@code /ws}.
   *
   * @param requestId the request's id, or null
   * @param downloads newest first
   * @return {@code {"type":"list",...}}
   */
  public static String list(@Nullable String requestId, List<StatusJson> downloads) {
    return Json.write(new DownloadList("list", requestId, downloads));
  }

  /**
   * The reply to {@code add}.
   *
   * @param requestId the request's id, or null
   * @param download the new download, or the existing one with the same URL
   * @return {@code {"type":"added",...}}
   */
  public static String added(@Nullable String requestId, StatusJson download) {
    return downloadMessage("added", requestId, download);
  }

  /**
   * The reply to {@code get}, and a push when no request id is given.
   *
   * @param requestId the request's id, or null for a push
   * @param download the status
   * @return {@code {"type":"status",...}}
   */
  public static String status(@Nullable String requestId, StatusJson download) {
    return downloadMessage("status", requestId, download);
  }

  /**
   * The reply to {@code pause}, {@code resume}, {@code cancel}, {@code remove} and
   * {@code update}.
   *
   * @param requestId the request's id, or null
   * @param download the status after the command
   * @return {@code {"type":"ok",...}}
   */
  public static String ok(@Nullable String requestId, StatusJson download) {
    return downloadMessage("ok", requestId, download);
  }

  /**
   * The reply to {@code subscribe} and {@code unsubscribe}.
   *
   * @param requestId the request's id, or null
   * @return {@code {"type":"ok"}}
   */
  public static String ok(@Nullable String requestId) {
    return Json.write(new Ok("ok", requestId));
  }

  /**
   * An error reply.
   *
   * @param requestId the request's id if it could be read, or null
   * @param code the error code
   * @param message what was wrong and what to do
   * @return {@code {"type":"error",...}}
   */
  public static String error(@Nullable String requestId, ErrorCode code, String message) {
    return Json.write(new Error("error", requestId, code.code(), message));
  }

  /**
   * The push that follows a {@code remove}.
   *
   * @param id the removed download's id
   * @return {@code {"type":"removed","id":...}}
   */
  public static String removed(String id) {
    return Json.write(new Removed("removed", id));
  }

  /**
   * The body of {@code GET /healthz}.
   *
   * @param version the project version
   * @param downloads how many downloads the server knows
   * @param sessions how many WebSocket sessions are open
   * @return {@code {"status":"up",...}}
   */
  public static String health(String version, int downloads, int sessions) {
    return Json.write(new Health("up", version, downloads, sessions));
  }

  /**
   * The body of {@code GET /healthz} when the server cannot do its work.
   *
   * @param version the project version
   * @param reason what is wrong, for a person
   * @return {@code {"status":"down",...}}
   */
  public static String unhealthy(String version, String reason) {
    return Json.write(new Unhealthy("down", version, reason));
  }

  /**
   * A message carrying one status, written by hand: these are most of what the server sends, and
   * the generic bean serialisation of a wrapper costs more than the writing itself.
   */
  private static String downloadMessage(String type, @Nullable String requestId,
      StatusJson download) {
    StringWriter text = new StringWriter(768);
    try (JsonGenerator out = Json.mapper().getFactory().createGenerator(text)) {
      out.writeStartObject();
      out.writeStringField("type", type);
      if (requestId != null) {
        out.writeStringField("requestId", requestId);
      }
      out.writeFieldName("download");
      StatusJsonSerializer.write(download, out);
      out.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write to a string", e); // a StringWriter does not fail
    }
    return text.toString();
  }
}
