package io.kvpipe.node.raft;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.ratis.proto.RaftProtos.AppendEntriesRequestProto;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.proto.RaftProtos.TermIndexProto;
import org.junit.jupiter.api.Test;

class AnchoredCommitGuardTest {
  private static AppendEntriesRequestProto request(Long previousIndex, long leaderCommit, long... entryIndices) {
    AppendEntriesRequestProto.Builder b = AppendEntriesRequestProto.newBuilder().setLeaderTerm(4)
        .setLeaderCommit(leaderCommit);
    if (previousIndex != null) {
      b.setPreviousLog(TermIndexProto.newBuilder().setTerm(4).setIndex(previousIndex));
    }
    for (long i : entryIndices) {
      b.addEntries(LogEntryProto.newBuilder().setTerm(4).setIndex(i));
    }
    return b.build();
  }

  @Test
  void aHeartbeatWithoutAPreviousEntryCommitsNothing() {
    assertThat(AnchoredCommitGuard.anchored(request(null, 7)).getLeaderCommit()).isEqualTo(-1);
  }

  @Test
  void entriesFromTheLogsStartCommitNoFurtherThanTheLastOneCarried() {
    assertThat(AnchoredCommitGuard.anchored(request(null, 7, 0, 1, 2)).getLeaderCommit()).isEqualTo(2);
    AppendEntriesRequestProto behind = request(null, 1, 0, 1, 2);
    assertThat(AnchoredCommitGuard.anchored(behind)).isSameAs(behind);
  }

  @Test
  void entriesNotFromTheStartWithoutAPreviousEntryCommitNothing() {
    assertThat(AnchoredCommitGuard.anchored(request(null, 9, 5, 6)).getLeaderCommit()).isEqualTo(-1);
  }

  @Test
  void anAnchoredRequestIsPassedAsItIs() {
    AppendEntriesRequestProto heartbeat = request(3L, 7);
    AppendEntriesRequestProto append = request(3L, 7, 4, 5);
    assertThat(AnchoredCommitGuard.anchored(heartbeat)).isSameAs(heartbeat);
    assertThat(AnchoredCommitGuard.anchored(append)).isSameAs(append);
  }

  @Test
  void aRequestWithNothingCommittedIsPassedAsItIs() {
    AppendEntriesRequestProto heartbeat = request(null, -1);
    assertThat(AnchoredCommitGuard.anchored(heartbeat)).isSameAs(heartbeat);
  }
}
