package io.rangefetch.server.protocol;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

/** The one {@link ObjectMapper} of the server. Thread-safe. */
public final class Json {
  private static final ObjectMapper MAPPER = createMapper();

  private Json() {}

  private static ObjectMapper createMapper() {
    ObjectMapper mapper = new ObjectMapper()
        .registerModule(new JavaTimeModule())
        .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
        .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    // A hostile client could send deeply nested arrays to exhaust the stack.
    mapper.getFactory().setStreamReadConstraints(
        StreamReadConstraints.builder().maxNestingDepth(32).build());
    return mapper;
  }

  /**
   * Returns the shared mapper.
   *
   * @return the mapper; do not reconfigure it
   */
  public static ObjectMapper mapper() {
    return MAPPER;
  }

  /**
   * Serialises a message.
   *
   * @param value a record of this package
   * @return its JSON text
   * @throws IllegalStateException if it cannot be serialised, which is a bug
   */
  public static String write(Object value) {
    try {
      return MAPPER.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise " + value.getClass().getSimpleName(), e);
    }
  }

  /**
   * Parses JSON text.
   *
   * @param text the text
   * @return the tree
   * @throws JsonProcessingException if the text is not JSON
   */
  static JsonNode read(String text) throws JsonProcessingException {
    return MAPPER.readTree(text);
  }
}
