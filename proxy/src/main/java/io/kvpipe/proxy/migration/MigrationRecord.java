package io.kvpipe.proxy.migration;

import io.kvpipe.common.topology.Migration;
import io.kvpipe.common.topology.RingSpec;
import io.kvpipe.common.wire.ScanCursor;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The typed reading of a {@link Migration}'s attributes (the codec between the meta group's generic record and what
 * the coordinator needs), and edits that produce a new record. Immutable.
 *
 * <p>Attributes: {@code group}, {@code peer} (membership), {@code nextRing} ({@code vnodes:g1,g2}), {@code step} (the
 * internal phase; the public phase reads {@code cancelling} while a cancel's inverse runs), {@code cancelRequested},
 * {@code cancelled}, {@code throttleKeysPerSecond}, {@code batchSize}, the lease ({@code coordinator},
 * {@code heartbeatMs}), {@code error}, {@code waitingFor} (what a step waits for, e.g. a group's change events to
 * reach Kafka), {@code keysPerSecond}, {@code keysTotalEstimate}, per pair {@code cursor.<source>><target>} (last
 * copied position, or {@code end}) and {@code copied.<source>><target>}, and per group the migration removed
 * {@link Migration#PUBLISHED_UP_TO}{@code <group>}.
 */
public record MigrationRecord(Migration migration) {
  public static final String PENDING = "pending";
  public static final String FENCING = "fencing";
  public static final String COPYING = "copying";
  public static final String PURGING = "purging";
  public static final String FINISHING = "finishing";
  public static final String CANCELLING = "cancelling";
  public static final String JOINING = "joining";
  public static final String RECONFIGURING = "reconfiguring";

  /** Steps a cancel can still undo (the contract's "fencing or copying", and pending, where nothing happened yet). */
  public static final java.util.Set<String> CANCELLABLE_STEPS = java.util.Set.of(PENDING, FENCING, COPYING);

  public static final String WAITING_FOR = "waitingFor";
  /** Set when a cancel came before anything was fenced: finishing has no tombstones to collect then. */
  public static final String CANCELLED_BEFORE_FENCING = "cancelledBeforeFencing";

  /** Keys per page read from a source and copied as one MigrateIn: the largest a page may be (see PairCopier). */
  public static final int DEFAULT_BATCH = 10_000;
  public static final int MAX_BATCH = 10_000;
  static final String END = "end";

  public String id() {
    return migration.id();
  }

  public String kind() {
    return migration.kind();
  }

  public boolean isGroupMigration() {
    return kind().equals(Migration.ADD_GROUP) || kind().equals(Migration.REMOVE_GROUP);
  }

  public String phase() {
    return migration.phase();
  }

  /** The step the coordinator runs next (equal to the phase except while cancelling). */
  public String step() {
    return attr("step", migration.phase());
  }

  public boolean inFlight() {
    return migration.inFlight();
  }

  public String group() {
    return attr("group", "");
  }

  public String peer() {
    return attr("peer", "");
  }

  public boolean cancelled() {
    return Boolean.parseBoolean(attr("cancelled", "false"));
  }

  public boolean cancelledBeforeFencing() {
    return Boolean.parseBoolean(attr(CANCELLED_BEFORE_FENCING, "false"));
  }

  public boolean cancelRequested() {
    return Boolean.parseBoolean(attr("cancelRequested", "false"));
  }

  public long throttleKeysPerSecond() {
    return longAttr("throttleKeysPerSecond", 0);
  }

  public int batchSize() {
    return (int) Math.clamp(longAttr("batchSize", DEFAULT_BATCH), 1, MAX_BATCH);
  }

  public String coordinator() {
    return attr("coordinator", "");
  }

  public long heartbeatMs() {
    return longAttr("heartbeatMs", 0);
  }

  public String error() {
    String e = migration.attributes().get("error");
    return e == null || e.isEmpty() ? null : e;
  }

  public String waitingFor() {
    String w = migration.attributes().get(WAITING_FOR);
    return w == null || w.isEmpty() ? null : w;
  }

  public double keysPerSecond() {
    try {
      return Double.parseDouble(attr("keysPerSecond", "0"));
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  public boolean keysTotalEstimate() {
    return Boolean.parseBoolean(attr("keysTotalEstimate", "true"));
  }

  public RingSpec nextRing() {
    String spec = attr("nextRing", "");
    int colon = spec.indexOf(':');
    if (colon < 0) {
      return migration.previousRing();
    }
    return new RingSpec(Integer.parseInt(spec.substring(0, colon)), List.of(spec.substring(colon + 1).split(",")));
  }

  /** The plan the record describes (group migrations only). */
  public MigrationPlan plan() {
    return MigrationPlan.between(migration.previousRing(), migration.fromEpoch(), nextRing(), migration.toEpoch());
  }

  /** Where a pair's copy resumes: null = from the start. */
  public ScanCursor cursor(MigrationPlan.Transfer t) {
    String c = attr("cursor." + t.key(), "");
    return c.isEmpty() || c.equals(END) ? null : decodeCursor(c);
  }

  public boolean copied(MigrationPlan.Transfer t) {
    return attr("cursor." + t.key(), "").equals(END);
  }

  public long copiedKeys(MigrationPlan.Transfer t) {
    return longAttr("copied." + t.key(), 0);
  }

  /** A new record with {@code edit} applied to a copy of the attributes; the fields stay unless {@code with} says. */
  public MigrationRecord withAttributes(long nowMs, Consumer<Map<String, String>> edit) {
    Map<String, String> a = new HashMap<>(migration.attributes());
    edit.accept(a);
    a.values().removeIf(v -> v == null);
    Migration m = migration;
    return new MigrationRecord(new Migration(m.id(), m.kind(), m.phase(), m.fromEpoch(), m.toEpoch(),
        m.previousRing(), m.sourceGroups(), m.targetGroups(), m.keysCopied(), m.keysTotal(), m.startedAtMs(), nowMs,
        a));
  }

  /** Moves to {@code step}; the public phase follows unless a cancel's inverse runs. */
  public MigrationRecord atStep(String step, long nowMs) {
    MigrationRecord r = withAttributes(nowMs, a -> a.put("step", step));
    String phase = cancelled() && !Migration.ENDED_PHASES.contains(step) ? CANCELLING : step;
    return r.with(phase, migration.keysCopied(), migration.keysTotal(), nowMs);
  }

  public MigrationRecord with(String phase, long keysCopied, long keysTotal, long nowMs) {
    Migration m = migration;
    return new MigrationRecord(new Migration(m.id(), m.kind(), phase, m.fromEpoch(), m.toEpoch(), m.previousRing(),
        m.sourceGroups(), m.targetGroups(), keysCopied, keysTotal, m.startedAtMs(), nowMs, m.attributes()));
  }

  /** Replaces the plan (a cancel's inverse): rings, epochs and groups from {@code plan}, progress cleared. */
  public MigrationRecord withPlan(MigrationPlan plan, long keysTotal, long nowMs) {
    Migration m = migration;
    Map<String, String> a = new HashMap<>(m.attributes());
    a.keySet().removeIf(k -> k.startsWith("cursor.") || k.startsWith("copied."));
    a.put("nextRing", ringSpec(plan.nextRing()));
    return new MigrationRecord(new Migration(m.id(), m.kind(), m.phase(), plan.fromEpoch(), plan.toEpoch(),
        plan.previousRing(), plan.sources(), plan.targets(), 0, keysTotal, m.startedAtMs(), nowMs, a));
  }

  static String ringSpec(RingSpec r) {
    return r.vnodes() + ":" + String.join(",", r.members());
  }

  private String attr(String key, String dflt) {
    return migration.attributes().getOrDefault(key, dflt);
  }

  private long longAttr(String key, long dflt) {
    try {
      return Long.parseLong(attr(key, Long.toString(dflt)));
    } catch (NumberFormatException e) {
      return dflt;
    }
  }

  /** A scan cursor as text: base64url of the 8-byte ring position followed by the key bytes. */
  public static String encodeCursor(ScanCursor c) {
    ByteBuffer b = ByteBuffer.allocate(8 + c.key().length).putLong(c.position()).put(c.key());
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b.array());
  }

  /** The inverse of {@link #encodeCursor}; IllegalArgumentException for anything else. */
  public static ScanCursor decodeCursor(String text) {
    byte[] raw = Base64.getUrlDecoder().decode(text);
    if (raw.length < 8) {
      throw new IllegalArgumentException("cursor too short");
    }
    return new ScanCursor(ByteBuffer.wrap(raw).getLong(), Arrays.copyOfRange(raw, 8, raw.length));
  }
}
