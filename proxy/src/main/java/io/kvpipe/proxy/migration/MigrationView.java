package io.kvpipe.proxy.migration;

import io.kvpipe.common.topology.Migration;
import io.kvpipe.common.topology.Topology;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON view of a migration, exactly the contract's fields plus {@code keysTotalEstimate} (true while
 * {@code keysTotal} is derived from the sources' record counts, before the copy has counted them), {@code waitingFor}
 * (what the current step waits for, null when nothing) and, for membership changes, {@code peer}.
 */
public final class MigrationView {
  private MigrationView() {}

  public static Map<String, Object> of(MigrationRecord r) {
    Migration m = r.migration();
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("id", m.id());
    v.put("kind", m.kind());
    v.put("phase", m.phase());
    v.put("group", r.group());
    v.put("sourceGroups", m.sourceGroups());
    v.put("targetGroups", m.targetGroups());
    v.put("fromEpoch", m.fromEpoch());
    v.put("toEpoch", m.toEpoch());
    v.put("keysCopied", m.keysCopied());
    v.put("keysTotal", m.keysTotal());
    v.put("keysTotalEstimate", r.keysTotalEstimate());
    double rate = r.inFlight() ? r.keysPerSecond() : 0;
    v.put("keysPerSecond", Math.round(rate * 10) / 10.0);
    v.put("etaSeconds", eta(r, rate));
    v.put("throttleKeysPerSecond", r.throttleKeysPerSecond());
    v.put("batchSize", r.batchSize());
    v.put("coordinator", r.coordinator());
    v.put("startedAt", Instant.ofEpochMilli(m.startedAtMs()).toString());
    v.put("updatedAt", Instant.ofEpochMilli(m.updatedAtMs()).toString());
    v.put("error", r.error());
    v.put("waitingFor", r.waitingFor());
    v.put("cancelled", r.cancelled() || r.cancelRequested());
    if (!r.isGroupMigration()) {
      v.put("peer", r.peer());
    }
    return v;
  }

  /** Seconds left at the current rate; 0 once ended, -1 when unknown. */
  static long eta(MigrationRecord r, double rate) {
    if (!r.inFlight()) {
      return 0;
    }
    long left = r.migration().keysTotal() - r.migration().keysCopied();
    if (!r.step().equals(MigrationRecord.COPYING) || rate <= 0) {
      return -1;
    }
    return left <= 0 ? 0 : (long) Math.ceil(left / rate);
  }

  /** In flight first, then history newest first, at most {@link Migration#MAX_HISTORY} + 1. */
  public static List<Map<String, Object>> list(Topology t) {
    List<Migration> ms = new ArrayList<>(t.migrations());
    ms.sort(Comparator.comparing((Migration m) -> !m.inFlight())
        .thenComparing(Comparator.comparingLong(Migration::updatedAtMs).reversed()));
    return ms.stream().limit(Migration.MAX_HISTORY + 1).map(m -> of(new MigrationRecord(m))).toList();
  }
}
