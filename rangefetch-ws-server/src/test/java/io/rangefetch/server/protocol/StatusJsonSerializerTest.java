package io.rangefetch.server.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.rangefetch.server.protocol.StatusJson.ErrorJson;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The hand-written status serialisation writes what Jackson's own record serialisation wrote
 * before it: the same fields, values and nulls, and it reads back to an equal record.
 */
class StatusJsonSerializerTest {
  // Jackson's generic serialisation of the record, as the server wrote it before.
  private static final ObjectMapper GENERIC = JsonMapper.builder()
      .disable(MapperFeature.USE_ANNOTATIONS).build();

  private static final StatusJson QUEUED = new StatusJson("1", "http://h/a.bin", null, "queued",
      null, null, 0, 8, 4_194_304, 0, null, null, null, null, null, null, null,
      "2026-11-25T02:00:00Z", "2026-11-25T02:00:00Z");
  private static final StatusJson DOWNLOADING = new StatusJson("22", "http://h/a b.bin?q=\"x\"",
      "https://cdn/é.bin", "downloading", 734_003_200L, true, 4, 4, 1_048_576, 123_456_789,
      0.1682, 52_428_800L, 11L, "a b.bin", null, null, null, "2026-11-25T02:00:00Z",
      "2026-11-25T02:00:02Z");
  private static final StatusJson FAILED = new StatusJson("3", "http://h/c", "http://h/c",
      "failed", 0L, false, 0, 1, 1, 0, 1.0, null, null, "c", null, null,
      new ErrorJson("http_404", "the server says \"not found\"\n(404); check the URL"),
      "2026-11-25T02:00:00Z", "2026-11-25T02:00:01Z");
  private static final StatusJson COMPLETED = new StatusJson("4", "http://h/d", "http://h/d",
      "completed", 102_400L, true, 0, 8, 4_194_304, 102_400, 1.0, null, null, "d.bin",
      "file:///tmp/dl/d.bin", "35c2ebeb691e63d085229b5cdf220a6e2670c57f6eda4db8053650f9906958af",
      null, "2026-11-25T02:00:00Z", "2026-11-25T02:00:00Z");

  @Test
  void writesWhatTheGenericSerialisationWrote() throws Exception {
    for (StatusJson status : List.of(QUEUED, DOWNLOADING, FAILED, COMPLETED)) {
      JsonNode generic = GENERIC.readTree(GENERIC.writeValueAsString(status));
      String written = Json.write(status);

      assertEquals(generic, Json.mapper().readTree(written), written);
      assertEquals(List.copyOf(iterable(generic.fieldNames())),
          List.copyOf(iterable(Json.mapper().readTree(written).fieldNames())), "field order");
    }
  }

  @Test
  void readsBackToAnEqualStatus() throws Exception {
    for (StatusJson status : List.of(QUEUED, DOWNLOADING, FAILED, COMPLETED)) {
      assertEquals(status, Json.mapper().readValue(Json.write(status), StatusJson.class));
    }
  }

  @Test
  void repliesCarryTheStatusAndTheirRequestIdOnlyWhenGiven() throws Exception {
    JsonNode push = Json.mapper().readTree(Replies.status(null, DOWNLOADING));
    JsonNode reply = Json.mapper().readTree(Replies.added("r\"1", COMPLETED));

    assertEquals(List.of("type", "download"), List.copyOf(iterable(push.fieldNames())));
    assertEquals("status", push.get("type").asText());
    assertEquals(GENERIC.readTree(GENERIC.writeValueAsString(DOWNLOADING)), push.get("download"));
    assertEquals("added", reply.get("type").asText());
    assertEquals("r\"1", reply.get("requestId").asText());
    assertEquals(COMPLETED, Json.mapper().treeToValue(reply.get("download"), StatusJson.class));
  }

  private static <T> List<T> iterable(java.util.Iterator<T> it) {
    List<T> list = new java.util.ArrayList<>();
    it.forEachRemaining(list::add);
    return list;
  }
}
