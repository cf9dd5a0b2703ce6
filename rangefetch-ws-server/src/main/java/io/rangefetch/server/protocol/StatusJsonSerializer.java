package io.rangefetch.server.protocol;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import java.io.IOException;
import org.jspecify.annotations.Nullable;

/**
 * Writes a {@link StatusJson} field by field through the streaming generator. The status is the
 * message the server writes most (every push, reply and journal line carries one), and Jackson's
 * generic bean serialisation of its 19 fields goes through a megamorphic property loop that the
 * JIT compiler kept recompiling in a busy server. The output is what that serialisation gave:
 * the record's components in order, absent values as {@code null}. Thread-safe.
 */
public final class StatusJsonSerializer extends StdSerializer<StatusJson> {
  private static final long serialVersionUID = 1L;

  /** Creates the serializer; Jackson does, through {@code @JsonSerialize} on the record. */
  public StatusJsonSerializer() {
    super(StatusJson.class);
  }

  @Override
  public void serialize(StatusJson status, JsonGenerator out, SerializerProvider provider)
      throws IOException {
    write(status, out);
  }

  /**
   * Writes one status object.
   *
   * @param s the status
   * @param out where to write it, at a value position
   * @throws IOException if {@code out} cannot be written
   */
  public static void write(StatusJson s, JsonGenerator out) throws IOException {
    out.writeStartObject();
    out.writeStringField("id", s.id());
    out.writeStringField("url", s.url());
    out.writeStringField("finalUrl", s.finalUrl());
    out.writeStringField("state", s.state());
    writeNullable(out, "size", s.size());
    writeNullable(out, "rangesSupported", s.rangesSupported());
    out.writeNumberField("threads", s.threads());
    out.writeNumberField("maxThreads", s.maxThreads());
    out.writeNumberField("chunkBytes", s.chunkBytes());
    out.writeNumberField("bytesDone", s.bytesDone());
    writeNullable(out, "progress", s.progress());
    writeNullable(out, "speedBps", s.speedBps());
    writeNullable(out, "etaSeconds", s.etaSeconds());
    out.writeStringField("fileName", s.fileName());
    out.writeStringField("file", s.file());
    out.writeStringField("sha256", s.sha256());
    out.writeFieldName("error");
    if (s.error() == null) {
      out.writeNull();
    } else {
      out.writeStartObject();
      out.writeStringField("code", s.error().code());
      out.writeStringField("message", s.error().message());
      out.writeEndObject();
    }
    out.writeStringField("createdAt", s.createdAt());
    out.writeStringField("updatedAt", s.updatedAt());
    out.writeStringField("node", s.node());
    out.writeStringField("fileUrl", s.fileUrl());
    out.writeBooleanField("fileMissing", s.fileMissing());
    writeNullable(out, "limitBps", s.limitBps());
    writeNullable(out, "hostAllowance", s.hostAllowance());
    out.writeFieldName("mirrors");
    if (s.mirrors() == null) {
      out.writeNull();
    } else {
      out.writeStartArray();
      for (MirrorJson m : s.mirrors()) {
        out.writeStartObject();
        out.writeStringField("url", m.url());
        out.writeStringField("state", m.state());
        out.writeNumberField("bytes", m.bytes());
        out.writeNumberField("speedBps", m.speedBps());
        out.writeStringField("note", m.note());
        out.writeEndObject();
      }
      out.writeEndArray();
    }
    out.writeEndObject();
  }

  /** Writes a field whose value may be absent: JSON {@code null} then, as the protocol shows. */
  private static void writeNullable(JsonGenerator out, String name, @Nullable Object value)
      throws IOException {
    out.writeFieldName(name);
    if (value == null) {
      out.writeNull();
    } else if (value instanceof Long number) {
      out.writeNumber(number.longValue());
    } else if (value instanceof Integer number) {
      out.writeNumber(number.intValue());
    } else if (value instanceof Double number) {
      out.writeNumber(number.doubleValue());
    } else if (value instanceof Boolean flag) {
      out.writeBoolean(flag.booleanValue());
    } else {
      throw new IllegalArgumentException("not a status value: " + value.getClass());
    }
  }
}
