package io.kvpipe.kvctl;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** {@code kvctl groups} / {@code kvctl status}: the meta group's row(s) beside the shard groups'. */
class GroupStatusTableTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static JsonNode shards(String metaLeader) throws Exception {
    String replicas = """
        [{"id":"n1","role":"leader","commitLag":0,"appliedLag":0,"lastContactMs":0},
         {"id":"n2","role":"follower","commitLag":0,"appliedLag":1,"lastContactMs":12},
         {"id":"n3","role":"unreachable","commitLag":7,"appliedLag":null,"lastContactMs":null}]""";
    return JSON.readTree("""
        {"version":3,"shards":[{"id":"g1","onRing":true,"leader":"n2","status":{"replicas":%s,
          "cdc":{"outboxEvents":0,"lagEntries":0}}}],
         "meta":{"id":"meta","leader":%s,"status":{"replicas":%s,"cdc":{"error":"none (the meta group has no CDC)"}}}}
        """.formatted(replicas, metaLeader == null ? "null" : "\"" + metaLeader + "\"", replicas));
  }

  private static String render(JsonNode shards) {
    StringWriter w = new StringWriter();
    GroupStatusTable.of(shards).print(new PrintWriter(w, true));
    return w.toString();
  }

  @Test
  void theMetaGroupHasRowsLikeTheShardGroups() throws Exception {
    String out = render(shards("n1"));
    assertThat(out.lines().filter(l -> l.startsWith("meta ")))
        .hasSize(3)
        .anyMatch(l -> l.matches("meta\\s+n1\\s+n1\\s+leader\\s+0\\s+0\\s+0\\s+-\\s+-\\s*"))
        .anyMatch(l -> l.matches("meta\\s+n1\\s+n3\\s+unreachable\\s+7\\s+-\\s+-\\s+-\\s+-\\s*"));
    assertThat(out.lines().filter(l -> l.startsWith("g1 "))).hasSize(3);
    assertThat(GroupStatusTable.anyLeaderless(shards("n1"))).isFalse();
  }

  @Test
  void aMetaGroupWithoutALeaderIsAProblem() throws Exception {
    assertThat(render(shards(null))).contains("meta").contains("NONE");
    assertThat(GroupStatusTable.anyLeaderless(shards(null))).isTrue();
  }
}
