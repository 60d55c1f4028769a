package io.kvpipe.node.raft;

import io.kvpipe.client.RetryWindow;
import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
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
 * <p>Which calls apply may skip ({@link #knownFrom}): skipping at apply must be the same on every replica, so it
 * counts only calls every replica is known to remember, and that index comes from the log alone: it is the index of
 * the first marker entry ({@link #MARKER}) in the log, {@link #UNKNOWN} before it. Every state begins unknown (the
 * empty state too: a replica replaying its log from index 0 would otherwise believe it knows calls that replicas
 * restarted from older snapshots never learnt, and skip duplicates they apply), and only a snapshot written by this
 * rule carries a known index ({@link #restore}); a snapshot of an older rule loads unknown, whatever it says, which
 * is exact, since only this rule logs {@link #MARKER}, so none precedes such a snapshot in its log. So a
 * group's first leader, and any leader that finds its group still unknown, logs the marker as soon as it can accept
 * entries ({@code SnapshotLoadingStateMachine#notifyLeaderReady}); every replica, whether it loaded a snapshot or
 * replays from 0, meets the same first marker at the same index. While unknown, apply skips nothing, alike everywhere.
 *
 * <p>What the window before the marker costs: a duplicate of a call applied before the marker is applied again (on
 * every replica alike, the behaviour before calls were kept). It can only reach the log if the leader did not refuse
 * it before logging: the leader's check ({@link #appliedAt}) uses every call it remembers, known or not. In a new
 * group the window is the few milliseconds between its first leader's readiness and the marker's commit; after an
 * upgrade it also spans the calls applied before the upgrade.
 *
 * <p>The marker of the rule before this one ({@link #isRetiredMarker}: a state began known from 0, so some replicas
 * ignored it) is applied as an entry that changes nothing, so a replica replaying an old log does not take it for the
 * first marker.
 *
 * <p>Thread ownership: the apply thread changes it; {@link #appliedAt} may be called from any thread (the leader asks
 * before it logs a request); {@link #all()} is a copy for a snapshot written elsewhere.
 */
public final class AppliedCalls {
  /** How long a call is remembered, in log time: as long as the replicas' Ratis retry cache. */
  public static final long WINDOW_MS = RetryWindow.SERVER_RETRY_CACHE.toMillis();

  /** {@link #knownFrom} before the log's first marker: apply skips no call. */
  public static final long UNKNOWN = Long.MAX_VALUE;

  /**
   * The log data of the marker entry ({@link #markKnownFrom}), the same in every group: neither a shard command
   * (which begins with its log stamp's format byte, 1) nor a meta command (JSON, '{') begins with a 0 byte. Distinct
   * from {@link #isRetiredMarker the marker of the rule before}, which some replicas of a group may have ignored.
   */
  public static final ByteString MARKER = ByteString.copyFrom(
      "\0kvpipe: applied calls are known from this log index on (rule 2)".getBytes(StandardCharsets.US_ASCII));

  /** The marker the version before logged; it counted only on replicas that were unknown, not on every replica. */
  private static final ByteString RETIRED_MARKER = ByteString.copyFrom(
      "\0kvpipe: every replica remembers the calls applied from here on".getBytes(StandardCharsets.US_ASCII));

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
  /** The index of the log's first marker (every replica remembers every call applied from it), or {@link #UNKNOWN}. */
  private volatile long knownFrom = UNKNOWN;

  /** The index {@code id} (null: none) was first applied at, or -1 if it was not (within the window). Any thread. */
  public long appliedAt(CallId id) {
    Applied a = id == null ? null : byId.get(id);
    return a == null ? -1 : a.index();
  }

  /**
   * The index {@code id} (null: none) was first applied at if apply must skip a duplicate of it, or -1: only calls
   * applied at or after {@link #knownFrom} count, which every replica remembers alike. Apply thread.
   */
  public long duplicateOf(CallId id) {
    long first = appliedAt(id);
    return first >= knownFrom ? first : -1;
  }

  /** The log index from which every replica is known to remember every applied call, or {@link #UNKNOWN}. */
  public long knownFrom() {
    return knownFrom;
  }

  /** Whether {@code logData} is the marker entry ({@link #MARKER}). */
  public static boolean isMarker(ByteString logData) {
    return logData.equals(MARKER);
  }

  /**
   * Whether {@code logData} is the marker the version before logged: applied as an entry that changes nothing (that
   * version's replicas that began empty ignored it, so its index is not known alike everywhere).
   */
  public static boolean isRetiredMarker(ByteString logData) {
    return logData.equals(RETIRED_MARKER);
  }

  /**
   * Applies a marker entry at {@code index}: if {@link #knownFrom} is unknown, it becomes {@code index} (the same on
   * every replica, since every replica applies the same first marker); a later marker changes nothing. Apply thread.
   */
  public void markKnownFrom(long index) {
    if (knownFrom == UNKNOWN) {
      knownFrom = index;
    }
  }

  /**
   * Remembers {@code id} (null: nothing) as applied at {@code index}; forgets the calls older than the window at
   * {@code stampMs}, the group's log time, which must never decrease.
   */
  public void applied(CallId id, long index, long stampMs) {
    while (!byAge.isEmpty() && byAge.peekFirst().stampMs() < stampMs - WINDOW_MS) {
      byId.remove(byAge.pollFirst().id());
    }
    if (id == null) {
      return;
    }
    Applied known = byId.get(id);
    if (known != null && known.index() < knownFrom && index >= knownFrom) {
      // Applied again because its first time does not count (some replicas may not know it): from now on every
      // replica remembers it alike, at this index. Rare (a duplicate across an upgrade), so the linear remove is fine.
      byAge.remove(known);
      byId.remove(id);
    }
    add(new Applied(id, index, stampMs));
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

  /**
   * Remembers {@code calls} (a snapshot's, oldest first) in place of anything held, counting those applied from
   * {@code knownFrom}: the value a snapshot of this rule carries, {@link #UNKNOWN} for any older snapshot (its calls
   * still serve the leader's check before logging).
   */
  public void restore(List<Applied> calls, long knownFrom) {
    this.knownFrom = knownFrom;
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

  /**
   * Writes {@code calls} (from {@link #all()}) into a snapshot: a count, then 5 longs per call. The snapshot also
   * keeps {@link #knownFrom} (where is each format's choice).
   */
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
