package io.kvpipe.node.raft;

import io.kvpipe.client.RetryWindow;
import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.ratis.proto.RaftProtos.StateMachineLogEntryProto;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;

/**
 * The client calls a Raft group applied within the last {@link #WINDOW_MS} of its log time, so that a resend of one
 * of them is never applied a second time. Every kvpipe group keeps one (shard groups in {@code ShardState}, the meta
 * group in {@code MetaStateMachine}). Part of the replicated state: it is kept in snapshots ({@link #write},
 * {@link #read}) and changed only at apply, from the log alone (each entry's client id, call id, index and a time the
 * log carries), so every replica answers a resend the same way.
 *
 * <p>Why Ratis's retry cache is not enough: it lives in memory and is filled as entries are applied, so a replica that
 * restarted from a snapshot (or installed one) knows nothing of the calls the snapshot covers. A client resending
 * such a call after a lost reply (same client id, same call id) to that replica, once it leads, had the call
 * appended and applied again: a put with two versions and two change events, a compare-and-set judged twice
 * ({@code ResendAfterRestartIT}); in the meta group a replica list set back over a later change, a guarded command
 * refused although it had been applied ({@code MetaResendAfterRestartIT}).
 *
 * <p>How a group uses it: its leader refuses a remembered call before logging it ({@link #appliedAt} from
 * {@code startTransaction}, answered with {@link #alreadyApplied}); apply asks again, so a duplicate that reached the
 * log anyway (appended before the first copy was applied) changes nothing, and then records the call
 * ({@link #applied}), whatever the command's outcome.
 *
 * <p>Thread ownership: the apply thread changes it; {@link #appliedAt} may be called from any thread (the leader asks
 * before it logs a request); {@link #all()} is a copy for a snapshot written elsewhere.
 */
public final class AppliedCalls {
  /** How long a call is remembered, in log time: as long as the replicas' Ratis retry cache. */
  public static final long WINDOW_MS = RetryWindow.SERVER_RETRY_CACHE.toMillis();

  /** A call's identity: the Ratis client id (as two longs) and the call id that client gave it. */
  public record CallId(long clientHigh, long clientLow, long callId) {
    /** The client call an entry carries (Ratis puts every request's client id and call id in its entry), or null. */
    public static CallId of(StateMachineLogEntryProto entry) {
      return of(entry.getClientId(), entry.getCallId());
    }

    /** The call a request is (a resend has the same client id and call id as its first attempt), or null. */
    public static CallId of(RaftClientRequest request) {
      return of(request.getClientId().toByteString(), request.getCallId());
    }

    private static CallId of(ByteString client, long callId) {
      if (client.size() != 16) {
        return null;
      }
      ByteBuffer b = client.asReadOnlyByteBuffer();
      return new CallId(b.getLong(), b.getLong(), callId);
    }
  }

  /**
   * One applied call, the log index it was applied at and the group's log time then (a high-water mark, never
   * decreasing, so the queue stays in expiry order).
   */
  public record Applied(CallId id, long index, long stampMs) {}

  private final Map<CallId, Applied> byId = new ConcurrentHashMap<>();
  private final ArrayDeque<Applied> byAge = new ArrayDeque<>();

  /** The index {@code id} (null: none) was first applied at, or -1 if it was not (within the window). Any thread. */
  public long appliedAt(CallId id) {
    Applied a = id == null ? null : byId.get(id);
    return a == null ? -1 : a.index();
  }

  /**
   * Remembers {@code id} (null: nothing) as applied at {@code index}; forgets the calls older than the window at
   * {@code stampMs}, the group's log time, which must never decrease.
   */
  public void applied(CallId id, long index, long stampMs) {
    while (!byAge.isEmpty() && byAge.peekFirst().stampMs() < stampMs - WINDOW_MS) {
      byId.remove(byAge.pollFirst().id());
    }
    if (id != null) {
      add(new Applied(id, index, stampMs));
    }
  }

  private void add(Applied a) {
    if (byId.putIfAbsent(a.id(), a) == null) {
      byAge.addLast(a);
    }
  }

  public int size() {
    return byAge.size();
  }

  /** Every remembered call, oldest first. */
  public List<Applied> all() {
    return List.copyOf(byAge);
  }

  /** Remembers {@code calls} (a snapshot's, oldest first) in place of anything held. */
  public void restore(List<Applied> calls) {
    byId.clear();
    byAge.clear();
    calls.forEach(this::add);
  }

  /**
   * The answer to a resend of a call applied at {@code first} in {@code group}: its first reply is not kept, so its
   * outcome is unknown (TIMEOUT, as when a caller's deadline passes; clients rebuild it as an unknown outcome).
   * {@code howToLearn} tells the caller where to look ("read the keys").
   */
  public static KvException alreadyApplied(String group, long first, String howToLearn) {
    return new KvException(ErrorCode.TIMEOUT, "this request was already applied at log index " + first + " of group "
        + group + " and its reply was lost (the replica that answered it restarted): its outcome is unknown here; "
        + howToLearn);
  }

  /** Writes {@code calls} (from {@link #all()}) into a snapshot: a count, then 5 longs per call. */
  public static void write(DataOutput out, List<Applied> calls) throws IOException {
    out.writeInt(calls.size());
    for (Applied a : calls) {
      out.writeLong(a.id().clientHigh());
      out.writeLong(a.id().clientLow());
      out.writeLong(a.id().callId());
      out.writeLong(a.index());
      out.writeLong(a.stampMs());
    }
  }

  /** Reads what {@link #write} wrote. */
  public static List<Applied> read(DataInput in) throws IOException {
    int n = in.readInt();
    if (n < 0) {
      throw new IOException("negative call count in snapshot");
    }
    List<Applied> calls = new ArrayList<>(Math.min(n, 1 << 16));
    for (int i = 0; i < n; i++) {
      calls.add(new Applied(new CallId(in.readLong(), in.readLong(), in.readLong()), in.readLong(), in.readLong()));
    }
    return calls;
  }
}
