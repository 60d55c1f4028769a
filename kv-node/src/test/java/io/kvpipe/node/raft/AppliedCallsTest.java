package io.kvpipe.node.raft;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.common.error.ErrorCode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import org.apache.ratis.proto.RaftProtos.StateMachineLogEntryProto;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.junit.jupiter.api.Test;

/**
 * The record of applied calls every group keeps (shard groups: {@code ShardStateResendTest}; the meta group:
 * {@code MetaApplyTest}): its window, its snapshot form, and how a call is named by a request and by its log entry.
 */
class AppliedCallsTest {
  static final AppliedCalls.CallId CALL = new AppliedCalls.CallId(0x1234, 0x5678, 7);

  @Test
  void aCallIsRememberedForTheWindowOfLogTimeThenForgotten() {
    AppliedCalls calls = new AppliedCalls();
    calls.applied(CALL, 5, 1_000);
    AppliedCalls.CallId other = new AppliedCalls.CallId(0x1234, 0x5678, 8);
    assertThat(calls.appliedAt(CALL)).isEqualTo(5);
    assertThat(calls.appliedAt(other)).isEqualTo(-1);
    assertThat(calls.appliedAt(null)).isEqualTo(-1);
    calls.applied(other, 6, 1_000 + AppliedCalls.WINDOW_MS);
    assertThat(calls.appliedAt(CALL)).as("exactly the window old: still remembered").isEqualTo(5);
    calls.applied(new AppliedCalls.CallId(1, 1, 1), 7, 1_001 + AppliedCalls.WINDOW_MS);
    assertThat(calls.appliedAt(CALL)).as("older than the window").isEqualTo(-1);
    assertThat(calls.appliedAt(other)).isEqualTo(6);
    assertThat(calls.size()).isEqualTo(2);
  }

  @Test
  void anEntryWithoutACallRemembersNothingButStillMovesTheWindow() {
    AppliedCalls calls = new AppliedCalls();
    calls.applied(CALL, 5, 1_000);
    calls.applied(null, 6, 1_001 + AppliedCalls.WINDOW_MS);
    assertThat(calls.size()).isZero();
  }

  @Test
  void aRepeatedCallKeepsItsFirstIndex() {
    AppliedCalls calls = new AppliedCalls();
    calls.applied(CALL, 5, 1_000);
    calls.applied(CALL, 9, 1_001);
    assertThat(calls.appliedAt(CALL)).isEqualTo(5);
    assertThat(calls.size()).isEqualTo(1);
  }

  @Test
  void theSnapshotFormRoundTripsInOrder() throws IOException {
    AppliedCalls calls = new AppliedCalls();
    calls.applied(CALL, 5, 1_000);
    calls.applied(new AppliedCalls.CallId(-1, Long.MIN_VALUE, 0), 6, 1_002);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    AppliedCalls.write(new DataOutputStream(bytes), calls.all());

    List<AppliedCalls.Applied> read = AppliedCalls.read(new DataInputStream(
        new ByteArrayInputStream(bytes.toByteArray())));
    AppliedCalls restored = new AppliedCalls();
    restored.restore(read, 0);

    assertThat(read).isEqualTo(calls.all());
    assertThat(restored.appliedAt(CALL)).isEqualTo(5);
    assertThat(restored.size()).isEqualTo(2);
  }

  @Test
  void aRequestAndTheEntryItBecomesNameTheSameCall() {
    ClientId client = ClientId.randomId();
    RaftClientRequest request = RaftClientRequest.newBuilder().setClientId(client)
        .setServerId(RaftPeerId.valueOf("n1")).setGroupId(RaftGroupId.randomId()).setCallId(42)
        .setMessage(Message.valueOf("x")).setType(RaftClientRequest.writeRequestType()).build();
    StateMachineLogEntryProto entry = StateMachineLogEntryProto.newBuilder().setClientId(client.toByteString())
        .setCallId(42).build();

    AppliedCalls.CallId id = AppliedCalls.CallId.of(request);

    ByteBuffer raw = ByteBuffer.wrap(client.toByteString().toByteArray());
    assertThat(id).isEqualTo(new AppliedCalls.CallId(raw.getLong(), raw.getLong(), 42));
    assertThat(AppliedCalls.CallId.of(entry)).isEqualTo(id);
    assertThat(AppliedCalls.CallId.of(StateMachineLogEntryProto.getDefaultInstance())).as("no client id").isNull();
  }

  @Test
  void theAnswerToAResendSaysTheOutcomeIsUnknownAndWhereItWasApplied() {
    var e = AppliedCalls.alreadyApplied("meta", 17, "read the topology to learn it");
    assertThat(e.code()).isEqualTo(ErrorCode.TIMEOUT);
    assertThat(e.getMessage()).contains("already applied at log index 17 of group meta")
        .endsWith("outcome is unknown here; read the topology to learn it");
  }

  @Test
  void anEmptyStateIsUnknownUntilTheMarkerThenSkipsEveryCallAppliedFromIt() {
    AppliedCalls calls = new AppliedCalls();
    assertThat(calls.knownFrom()).as("not even an empty state knows from 0").isEqualTo(AppliedCalls.UNKNOWN);
    calls.applied(CALL, 1, 1_000);
    assertThat(calls.duplicateOf(CALL)).isEqualTo(-1);
    calls.markKnownFrom(2);
    AppliedCalls.CallId later = new AppliedCalls.CallId(1, 1, 1);
    calls.applied(later, 5, 1_001);
    assertThat(calls.duplicateOf(later)).isEqualTo(5);
    calls.markKnownFrom(9);
    assertThat(calls.knownFrom()).as("a marker changes a known index not").isEqualTo(2);
  }

  @Test
  void whileUnknownApplySkipsNothingButTheLeaderStillRefusesWhatItRemembers() {
    AppliedCalls calls = new AppliedCalls();
    calls.restore(List.of(new AppliedCalls.Applied(CALL, 5, 1_000)), AppliedCalls.UNKNOWN);
    calls.applied(new AppliedCalls.CallId(1, 1, 1), 6, 1_001);
    assertThat(calls.duplicateOf(CALL)).isEqualTo(-1);
    assertThat(calls.duplicateOf(new AppliedCalls.CallId(1, 1, 1))).isEqualTo(-1);
    assertThat(calls.appliedAt(CALL)).as("the leader's check before logging").isEqualTo(5);
  }

  @Test
  void theFirstMarkerCountsTheCallsAppliedFromItsIndexOnly() {
    AppliedCalls calls = new AppliedCalls();
    calls.restore(List.of(), AppliedCalls.UNKNOWN);
    calls.applied(CALL, 5, 1_000);
    calls.markKnownFrom(6);
    calls.markKnownFrom(8);
    AppliedCalls.CallId later = new AppliedCalls.CallId(1, 1, 1);
    calls.applied(later, 7, 1_001);

    assertThat(calls.knownFrom()).as("only the first marker counts").isEqualTo(6);
    assertThat(calls.duplicateOf(CALL)).as("applied before the marker: some replicas may not know it").isEqualTo(-1);
    assertThat(calls.duplicateOf(later)).isEqualTo(7);
  }

  @Test
  void aCallAppliedAgainAfterTheMarkerCountsFromThen() {
    AppliedCalls calls = new AppliedCalls();
    calls.restore(List.of(new AppliedCalls.Applied(CALL, 5, 1_000)), AppliedCalls.UNKNOWN);
    calls.markKnownFrom(6);
    calls.applied(CALL, 7, 1_001); // a duplicate, applied since its first time did not count

    // A replica that never knew index 5 remembers it at 7 too: they must skip a third copy alike.
    assertThat(calls.duplicateOf(CALL)).isEqualTo(7);
    assertThat(calls.all()).containsExactly(new AppliedCalls.Applied(CALL, 7, 1_001));
    calls.applied(null, 8, 1_001 + AppliedCalls.WINDOW_MS + 1);
    assertThat(calls.size()).as("expires by its new time").isZero();
  }

  @Test
  void theMarkerIsNeitherAShardNorAMetaCommand() {
    assertThat(AppliedCalls.isMarker(AppliedCalls.MARKER)).isTrue();
    assertThat(AppliedCalls.isRetiredMarker(CommittedEntries.RETIRED_MARKER)).isTrue();
    assertThat(AppliedCalls.isMarker(CommittedEntries.RETIRED_MARKER)).as("the marker changed with the rule").isFalse();
    assertThat(AppliedCalls.MARKER.byteAt(0)).isNotEqualTo((byte) 1).isNotEqualTo((byte) '{');
  }
}
