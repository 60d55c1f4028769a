package io.kvpipe.node.shard;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.ring.HashRange;
import io.kvpipe.common.ring.HashRanges;
import io.kvpipe.common.ring.HashRing;
import io.kvpipe.common.wire.Command;
import io.kvpipe.common.wire.Entry;
import io.kvpipe.common.wire.Query;
import io.kvpipe.common.wire.Reply;
import io.kvpipe.common.wire.Request;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Backup exports: the live owned records as of the OpenExport entry, unchanged by the writes applied after it. */
class ShardExportTest {
  static final LogStamp STAMP = new LogStamp(1000, true, 1_000_000, 1L << 30);

  final ShardState state = new ShardState("g1");
  long index;

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  Reply apply(Command c) {
    return state.apply(c, ++index, 1, STAMP);
  }

  Map<String, String> readAll(String id, int pageSize) {
    Map<String, String> out = new LinkedHashMap<>();
    long offset = 0;
    while (true) {
      Reply r = state.query(new Query.ExportPage(id, offset, pageSize, 1 << 20));
      assertThat(r).isInstanceOf(Reply.KeyPage.class);
      Reply.KeyPage p = (Reply.KeyPage) r;
      p.entries().forEach(e -> out.put(e.keyString(), new String(e.value(), StandardCharsets.UTF_8)));
      offset += p.entries().size();
      if (!p.more()) {
        return out;
      }
    }
  }

  @Test
  void anExportIsTheStateAtItsIndexWhateverIsAppliedAfterIt() {
    for (int i = 0; i < 50; i++) {
      apply(Command.Put.unconditional(b("k" + i), b("v" + i)));
    }
    apply(new Command.Delete(b("k7"), Request.ANY_VERSION));
    Reply opened = apply(new Command.OpenExport("b1"));
    assertThat(opened).isInstanceOf(Reply.ExportOpened.class);
    Reply.ExportOpened o = (Reply.ExportOpened) opened;
    assertThat(o.logIndex()).isEqualTo(index);
    assertThat(o.records()).isEqualTo(49);

    apply(Command.Put.unconditional(b("k1"), b("changed")));
    apply(new Command.Delete(b("k2"), Request.ANY_VERSION));
    apply(Command.Put.unconditional(b("new"), b("x")));
    apply(Command.Put.unconditional(b("k7"), b("back")));

    Map<String, String> got = readAll("b1", 7);
    assertThat(got).hasSize(49).containsEntry("k1", "v1").containsEntry("k2", "v2").doesNotContainKeys("new", "k7");
    List<String> keys = new ArrayList<>(got.keySet());
    assertThat(keys).isSorted();
  }

  @Test
  void anExportHoldsOnlyTheRangesTheGroupOwns() {
    for (int i = 0; i < 200; i++) {
      apply(Command.Put.unconditional(b("k" + i), b("v" + i)));
    }
    HashRanges low = HashRanges.of(List.of(new HashRange(0, 1L << 31)));
    apply(new Command.SetOwnership(2, low, "m2"));
    Reply.ExportOpened o = (Reply.ExportOpened) apply(new Command.OpenExport("b1"));
    assertThat(o.epoch()).isEqualTo(2);
    assertThat(o.owned()).isEqualTo(low);
    Map<String, String> got = readAll("b1", 1000);
    assertThat(got).hasSize((int) o.records()).isNotEmpty();
    assertThat(got.keySet()).allMatch(k -> low.contains(HashRing.position(b(k))));
    assertThat(got.size()).isLessThan(200);
  }

  @Test
  void aClosedOrUnknownExportIsRefusedAndOnlyTheNewestFewAreKept() {
    apply(Command.Put.unconditional(b("a"), b("1")));
    apply(new Command.OpenExport("e1"));
    apply(new Command.OpenExport("e2"));
    apply(new Command.OpenExport("e3"));
    assertThat(failure(state.query(new Query.ExportPage("e1", 0, 10, 100)))).isEqualTo(ErrorCode.NOT_FOUND);
    assertThat(readAll("e3", 10)).containsOnlyKeys("a");
    assertThat(apply(new Command.CloseExport("e3"))).isEqualTo(new Reply.Purged(1, false));
    assertThat(failure(state.query(new Query.ExportPage("e3", 0, 10, 100)))).isEqualTo(ErrorCode.NOT_FOUND);
    assertThat(failure(state.query(new Query.ExportPage("e2", -1, 10, 100)))).isEqualTo(ErrorCode.MALFORMED_REQUEST);
    assertThat(failure(apply(new Command.OpenExport("")))).isEqualTo(ErrorCode.MALFORMED_REQUEST);
  }

  @Test
  void aKeyPastItsTtlAtTheOpenEntrysStampIsNotExported() {
    apply(new Command.Put(b("short"), b("1"), Request.ANY_VERSION, 100));
    apply(new Command.Put(b("long"), b("2"), Request.ANY_VERSION, 60_000));
    apply(Command.Put.unconditional(b("plain"), b("3")));
    Reply opened = state.apply(new Command.OpenExport("t"), ++index, 1, new LogStamp(2000, true, 1_000_000, 1L << 30));
    assertThat(((Reply.ExportOpened) opened).records()).isEqualTo(2);
    assertThat(readAll("t", 10)).containsOnlyKeys("long", "plain");
  }

  @Test
  void aPageStopsAtItsByteBoundButAlwaysCarriesOneRecord() {
    apply(Command.Put.unconditional(b("a"), new byte[600]));
    apply(Command.Put.unconditional(b("b"), new byte[600]));
    apply(new Command.OpenExport("e"));
    Reply.KeyPage p = (Reply.KeyPage) state.query(new Query.ExportPage("e", 0, 10, 100));
    assertThat(p.entries()).extracting(Entry::keyString).containsExactly("a");
    assertThat(p.more()).isTrue();
  }

  static ErrorCode failure(Reply r) {
    assertThat(r).isInstanceOf(Reply.Failure.class);
    return ((Reply.Failure) r).code();
  }
}
