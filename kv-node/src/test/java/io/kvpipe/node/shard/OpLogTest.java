package io.kvpipe.node.shard;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.kvpipe.common.wire.Command;
import io.kvpipe.common.wire.Reply;
import io.kvpipe.common.wire.Request;
import io.kvpipe.common.wire.WireCodec;
import io.kvpipe.testsupport.logs.LogCapture;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The node's lines about client operations name each op's request id, also inside one group-committed entry, after
 * the entry went through the wire codec as a replica reads it from the Raft log.
 */
class OpLogTest {
  static final LogStamp STAMP = new LogStamp(1000, false, 100, 1 << 20);

  final ShardState state = new ShardState("g1");

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** As a replica applies it: decoded from the bytes the leader logged. */
  Reply apply(Command c, long index) {
    state.validate(c, 1 << 20, STAMP);
    return state.apply((Command) WireCodec.decodeRequest(WireCodec.encode(c)), index, 1, STAMP);
  }

  static String id(ILoggingEvent e) {
    return String.valueOf(LogCapture.keyValue(e, "request_id"));
  }

  @Test
  void eachOpOfABatchIsLoggedWithItsOwnIdAndACasFailureAtDebug() {
    apply(Command.Put.unconditional(b("c"), b("old")), 1);
    try (LogCapture ops = LogCapture.of("io.kvpipe.node.ops", "DEBUG")) {
      Reply.Batch r = (Reply.Batch) apply(new Command.Batch(List.of(
          new Command.Put(b("b"), b("1"), Request.ANY_VERSION, 0, "req-b"),
          new Command.Put(b("c"), b("lost"), 12345, 0, "req-c"),        // CAS mismatch
          new Command.Delete(b("a"), Request.ANY_VERSION))), 2);         // no id (a library caller)
      assertThat(r.replies().get(1)).isInstanceOf(Reply.Failure.class);

      List<ILoggingEvent> lines = ops.events();
      assertThat(lines).extracting(OpLogTest::id).containsExactly("req-b", "req-c", "-");
      assertThat(lines.get(0).getFormattedMessage())
          .isEqualTo("group=g1 index=2 put key=b: version=" + ((Reply.Written) r.replies().get(0)).version()
              + " request_id=req-b");
      assertThat(lines.get(1).getLevel()).isEqualTo(Level.DEBUG);
      assertThat(lines.get(1).getFormattedMessage()).startsWith("group=g1 index=2 put key=c refused at apply:"
          + " VERSION_MISMATCH").endsWith(" request_id=req-c");
      assertThat(lines.get(2).getFormattedMessage()).contains("delete key=a").endsWith("request_id=-");
    }
  }

  @Test
  void aTransactionAndASingleWriteCarryTheirIds() {
    try (LogCapture ops = LogCapture.of("io.kvpipe.node.ops", "DEBUG")) {
      apply(new Command.Put(b("k"), b("v"), Request.ANY_VERSION, 0, "solo-1"), 1);
      apply(new Command.Txn(List.of(), List.of(new Command.Delete(b("k"), Request.ANY_VERSION)), List.of(), "txn-1"),
          2);
      apply(new Command.SetTtl(b("k"), 1000, Request.ANY_VERSION, "ttl-1"), 3);         // no live value: NOT_FOUND
      assertThat(ops.events()).extracting(OpLogTest::id).containsExactly("solo-1", "txn-1", "ttl-1");
      assertThat(ops.events().get(1).getFormattedMessage()).isEqualTo("group=g1 index=2 txn keys=1: compares held"
          + " request_id=txn-1");
      assertThat(ops.events().get(2).getFormattedMessage()).contains("refused at apply: NOT_FOUND");
    }
  }

  /** At INFO (the default) the expected refusals and the applied ops write nothing. */
  @Test
  void atInfoExpectedOutcomesWriteNothing() {
    apply(Command.Put.unconditional(b("c"), b("old")), 1);
    try (LogCapture ops = LogCapture.of("io.kvpipe.node.ops", "INFO")) {
      apply(new Command.Batch(List.of(new Command.Put(b("b"), b("1"), Request.ANY_VERSION, 0, "req-b"),
          new Command.Put(b("c"), b("lost"), 12345, 0, "req-c"))), 2);
      assertThat(ops.events()).isEmpty();
    }
  }

  /** A key is written as is but bounded and with control characters escaped: a key may hold anything. */
  @Test
  void keysAreBoundedAndEscaped() {
    try (LogCapture ops = LogCapture.of("io.kvpipe.node.ops", "DEBUG")) {
      apply(new Command.Put(b("a\nb" + "x".repeat(200)), b("v"), Request.ANY_VERSION, 0, "k-1"), 1);
      String line = ops.events().get(0).getFormattedMessage();
      assertThat(line).doesNotContain("\n").contains("key=a\\x0ab" + "x".repeat(77) + "...:");
    }
  }
}
