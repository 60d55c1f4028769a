package io.kvpipe.common.topology;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import java.io.IOException;

/**
 * The JSON form of the topology model, shared by the meta state machine (log entries, snapshots, query replies), the
 * proxy's HTTP API and tools. Decoding never returns a half-built object: malformed input throws
 * {@link KvException}({@link ErrorCode#MALFORMED_REQUEST}). Unknown fields are ignored so an older reader can read a
 * newer writer's topology. Thread-safe.
 */
public final class TopologyCodec {
  private static final ObjectMapper JSON = JsonMapper.builder()
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .build();
  private static final ObjectWriter COMMAND_WRITER = JSON.writerFor(MetaCommand.class);
  private static final ObjectWriter QUERY_WRITER = JSON.writerFor(MetaQuery.class);
  private static final ObjectReader COMMAND_READER = JSON.readerFor(MetaCommand.class);
  private static final ObjectReader QUERY_READER = JSON.readerFor(MetaQuery.class);

  private TopologyCodec() {}

  /** The configured mapper, for callers that render the model inside larger JSON documents. */
  public static ObjectMapper json() {
    return JSON;
  }

  public static byte[] encodeCommand(MetaCommand c) {
    return write(COMMAND_WRITER, c);
  }

  public static MetaCommand decodeCommand(byte[] json) {
    return read(COMMAND_READER, json, "meta command");
  }

  public static byte[] encodeQuery(MetaQuery q) {
    return write(QUERY_WRITER, q);
  }

  public static MetaQuery decodeQuery(byte[] json) {
    return read(QUERY_READER, json, "meta query");
  }

  /** Encodes any model value (topology, state, reply, event page...). */
  public static byte[] encode(Object value) {
    return write(JSON.writer(), value);
  }

  public static <T> T decode(byte[] json, Class<T> type) {
    return read(JSON.readerFor(type), json, type.getSimpleName());
  }

  private static byte[] write(ObjectWriter writer, Object value) {
    try {
      return writer.writeValueAsBytes(value);
    } catch (JsonProcessingException e) {
      throw new KvException(ErrorCode.INTERNAL, "cannot encode " + value.getClass().getSimpleName(), e);
    }
  }

  private static <T> T read(ObjectReader reader, byte[] json, String what) {
    if (json == null || json.length == 0) {
      throw new KvException(ErrorCode.MALFORMED_REQUEST, "empty " + what);
    }
    try {
      T value = reader.readValue(json);
      if (value == null) {
        throw new KvException(ErrorCode.MALFORMED_REQUEST, what + " is null");
      }
      return value;
    } catch (IOException e) {
      throw new KvException(ErrorCode.MALFORMED_REQUEST, "malformed " + what + ": " + rootMessage(e));
    }
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    // Jackson appends source locations and excerpts; the first line is what a human needs.
    int nl = m.indexOf('\n');
    return nl > 0 ? m.substring(0, nl) : m;
  }
}
