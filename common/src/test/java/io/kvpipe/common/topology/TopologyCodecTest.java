package io.kvpipe.common.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TopologyCodecTest {
  @Test
  void everyCommandRoundTrips() {
    ShardGroup g = ShardGroup.parse("g1=n1@127.0.0.1:9001,n2@localhost:9002");
    Migration m = new Migration("m1", "add-group", "copy", 1, 2, new RingSpec(8, List.of("g1")),
        List.of("g1"), List.of("g2"), 1, 2, 3, 4, Map.of("k", "v"));
    List<MetaCommand> commands = List.of(
        new MetaCommand.Bootstrap(List.of(g), List.of(Peer.parse("n1@127.0.0.1:9001")), 128, 1),
        new MetaCommand.SetNodeHealth("n1", false, "timeout", 2),
        new MetaCommand.AddGroup(g, 5L, 3),
        new MetaCommand.RemoveGroup("g1", null, 4),
        new MetaCommand.SetGroupPeers("g1", g.peers(), 1L, 5),
        new MetaCommand.SetRing(new RingSpec(16, List.of("g2", "g1")), 3, null, 6),
        new MetaCommand.PutMigration(m, null, 7),
        new MetaCommand.RemoveMigration("m1", 9L, 8));
    for (MetaCommand c : commands) {
      byte[] json = TopologyCodec.encodeCommand(c);
      assertThat(TopologyCodec.decodeCommand(json)).as(new String(json, StandardCharsets.UTF_8)).isEqualTo(c);
    }
  }

  @Test
  void stateAndQueriesRoundTrip() {
    MetaState s = TopologyTransitionsTest.bootstrapped();
    s = TopologyTransitions.apply(s, new MetaCommand.SetNodeHealth("n3", false, "down", 9)).state();
    assertThat(TopologyCodec.decode(TopologyCodec.encode(s), MetaState.class)).isEqualTo(s);
    assertThat(TopologyCodec.decode(TopologyCodec.encode(s.topology()), Topology.class)).isEqualTo(s.topology());
    for (MetaQuery q : List.of(new MetaQuery.Snapshot(), new MetaQuery.Version(), new MetaQuery.EventsSince(4, 10))) {
      assertThat(TopologyCodec.decodeQuery(TopologyCodec.encodeQuery(q))).isEqualTo(q);
    }
    MetaQuery.EventPage page = s.eventsSince(0, 10);
    assertThat(TopologyCodec.decode(TopologyCodec.encode(page), MetaQuery.EventPage.class)).isEqualTo(page);
  }

  @Test
  void peersAreWrittenAsIdAtHostPort() {
    String json = new String(TopologyCodec.encode(ShardGroup.parse("g1=n1@127.0.0.1:9001")), StandardCharsets.UTF_8);
    assertThat(json).isEqualTo("{\"id\":\"g1\",\"peers\":[\"n1@127.0.0.1:9001\"]}");
  }

  @Test
  void aGroupsIncarnationIsWrittenUnlessItIsTheFirstAndReadAsTheFirstWhenAbsent() {
    ShardGroup g = ShardGroup.parse("g3=n1@127.0.0.1:9001").withIncarnation(17);
    String json = new String(TopologyCodec.encode(g), StandardCharsets.UTF_8);
    assertThat(json).contains("\"incarnation\":17");
    assertThat(TopologyCodec.decode(json.getBytes(StandardCharsets.UTF_8), ShardGroup.class)).isEqualTo(g);
    ShardGroup old = TopologyCodec.decode("{\"id\":\"g3\",\"peers\":[\"n1@h:1\"]}".getBytes(StandardCharsets.UTF_8),
        ShardGroup.class);
    assertThat(old.incarnation()).isZero();
    assertThat(old.raftName()).isEqualTo("g3");
    assertThat(g.raftName()).isEqualTo("g3.17");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "{", "null", "[]", "{\"type\":\"nope\"}", "{\"type\":\"set-node-health\"}",
      "{\"type\":\"set-node-health\",\"nodeId\":\"n1\",\"up\":true,\"atMs\":1} x",
      "{\"type\":\"add-group\",\"group\":{\"id\":\"g 1\",\"peers\":[\"n1@h:1\"]},\"atMs\":1}",
      "{\"type\":\"add-group\",\"group\":{\"id\":\"g1\",\"peers\":[\"n1@h:99999\"]},\"atMs\":1}",
      "{\"type\":\"bootstrap\",\"groups\":[],\"vnodes\":8,\"atMs\":1}",
      "{\"type\":\"set-ring\",\"ring\":{\"vnodes\":0,\"members\":[\"g1\"]},\"epoch\":2,\"atMs\":1}"})
  void malformedCommandsAreRefusedWithAClearError(String json) {
    assertThatThrownBy(() -> TopologyCodec.decodeCommand(json.getBytes(StandardCharsets.UTF_8)))
        .isInstanceOfSatisfying(KvException.class, e -> {
          assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_REQUEST);
          assertThat(e.getMessage()).isNotBlank();
        });
  }

  @ParameterizedTest
  @ValueSource(strings = {"n1", "@h:1", "n1@:1", "n1@h:", "n1@h:0", "n1@h:x", "n 1@h:1", "n1@h,i:1"})
  void badPeersAreRejected(String text) {
    assertThatThrownBy(() -> Peer.parse(text)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void ringSpecSortsMembersAndBuildsTheSharedRing() {
    RingSpec spec = new RingSpec(32, List.of("g2", "g1"));
    assertThat(spec.members()).containsExactly("g1", "g2");
    byte[] key = "hello".getBytes(StandardCharsets.UTF_8);
    assertThat(spec.toRing().groupFor(key))
        .isEqualTo(io.kvpipe.common.ring.HashRing.of(List.of("g1", "g2"), 32).groupFor(key));
  }
}
