package io.kvpipe.common.event;

import static io.kvpipe.common.event.StrictJson.number;
import static io.kvpipe.common.event.StrictJson.require;
import static io.kvpipe.common.event.StrictJson.text;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;

/**
 * The fields of one event as a decoder collects them, in either format, then {@link #build} checks that every required
 * one came, exactly once with the right type, and makes the event. One per decode; not thread-safe.
 */
final class EventFields {
  String op;
  String key;
  byte[] before;
  byte[] after;
  boolean sawBefore;
  boolean sawAfter;
  Long tsMs;
  String group;
  Long logIndex;
  Long seq;
  Long term;
  Long epoch;
  Long version;
  String origin;
  String txnId;

  /**
   * Reads {@code name} if it is one of the source block's identity fields both formats share (the key's version under
   * {@code versionField}); false (nothing read) otherwise.
   */
  boolean sourceField(JsonParser p, String name, JsonToken v, String versionField) throws IOException {
    switch (name) {
      case "group" -> group = text(p, v, "source", name);
      case "log_index" -> logIndex = number(p, v, "source", name);
      case "seq" -> seq = number(p, v, "source", name);
      case "term" -> term = number(p, v, "source", name);
      case "epoch" -> epoch = number(p, v, "source", name);
      case "origin" -> origin = text(p, v, "source", name);
      case "txn_id" -> txnId = StrictJson.textOrNull(p, v, "source", name);
      default -> {
        if (!name.equals(versionField)) {
          return false;
        }
        version = number(p, v, "source", name);
      }
    }
    return true;
  }

  /**
   * The event, if every required field came.
   *
   * @param names the format's names of key, ts_ms and the key's version, for messages
   * @param seqRequired whether a missing {@code source.seq} is malformed (else it means 0: format 1 before seq)
   */
  ChangeEvent build(String keyName, String tsName, String versionName, boolean seqRequired) {
    require(op, "op");
    require(key, keyName);
    require(tsMs, tsName);
    require(group, "source.group");
    require(logIndex, "source.log_index");
    if (seqRequired) {
      require(seq, "source.seq");
    }
    require(term, "source.term");
    require(epoch, "source.epoch");
    require(version, versionName);
    require(origin, "source.origin");
    if (!sawBefore || !sawAfter) {
      throw new MalformedEventException("missing field '" + (sawBefore ? "after" : "before") + "'");
    }
    if (txnId != null && !txnId.equals(group + ":" + logIndex)) {
      throw new MalformedEventException("source.txn_id '" + txnId + "' is not the event's log entry " + group + ":"
          + logIndex);
    }
    return ChangeEventCodec.checked(op, key, before, after, tsMs, group, logIndex, seq == null ? 0 : seq, term,
        epoch, version, origin, txnId != null);
  }
}
