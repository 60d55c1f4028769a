package io.kvpipe.systemtest;

import io.kvpipe.testsupport.check.Op;
import io.kvpipe.testsupport.robust.ScanClient;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The prefix scans of a robustness run against its history: in every scan (complete or cut short by a fault) the keys
 * come in strictly increasing key order across its pages (so none twice) and all start with the prefix; every value
 * returned was written to that key by a put of the history that may have happened (acknowledged, at the version it
 * was given, or of unknown outcome); and in a complete scan, every key whose state no write could change during the
 * scan (none in flight from its first page's call to its last page's return, no write of unknown outcome called before
 * its end) is present with its last acknowledged value if that was a put, absent if a delete or never written.
 * (Whether each value is fresh enough is the linearizability checker's part: each returned key is a read there.)
 */
final class ScanCheck {
  private ScanCheck() {}

  record Result(int scans, int complete, long keysReturned, long keysJudged, List<String> problems) {}

  static Result check(List<ScanClient.Scan> scans, List<Op> history, String prefix) {
    Map<String, List<Op>> writes = new HashMap<>();
    Map<String, Op> putsByValue = new HashMap<>();
    for (Op op : history) {
      if (op.write() && op.key().startsWith(prefix) && op.outcome() != Op.Outcome.FAILED) {
        writes.computeIfAbsent(op.key(), k -> new ArrayList<>()).add(op);
        if (op.kind() == Op.Kind.PUT && op.outcome() != Op.Outcome.MISMATCH) {
          putsByValue.put(op.key() + "=" + op.value(), op);
        }
      }
    }
    List<String> problems = new ArrayList<>();
    long returned = 0;
    long judged = 0;
    int complete = 0;
    for (ScanClient.Scan s : scans) {
      byte[] prev = null;
      Map<String, ScanClient.Item> seen = new HashMap<>();
      for (int p = 0; p < s.pages().size(); p++) {
        for (ScanClient.Item it : s.pages().get(p).items()) {
          returned++;
          byte[] k = it.key().getBytes(StandardCharsets.UTF_8);
          if (prev != null && Arrays.compareUnsigned(prev, k) >= 0) {
            problems.add("scan " + s.n() + " page " + p + ": key " + it.key() + " after "
                + new String(prev, StandardCharsets.UTF_8) + (seen.containsKey(it.key()) ? " (returned twice)"
                : " (out of order)"));
          }
          prev = k;
          seen.put(it.key(), it);
          if (!it.key().startsWith(prefix)) {
            problems.add("scan " + s.n() + " page " + p + ": key " + it.key() + " is outside the prefix " + prefix);
          }
          Op w = putsByValue.get(it.key() + "=" + it.value());
          if (w == null) {
            problems.add("scan " + s.n() + " page " + p + ": " + it.key() + " = " + it.value() + " v" + it.version()
                + " was never written to that key");
          } else if (w.outcome() == Op.Outcome.OK && w.version() != it.version()) {
            problems.add("scan " + s.n() + " page " + p + ": " + it.key() + " = " + it.value() + " at v"
                + it.version() + ", but that put was acknowledged at v" + w.version() + " (" + w.describe() + ")");
          }
        }
      }
      if (!s.complete()) {
        continue;
      }
      complete++;
      Set<String> keys = new HashSet<>(writes.keySet());
      keys.addAll(seen.keySet());
      for (String key : keys) {
        Op last = settledBefore(writes.getOrDefault(key, List.of()), s.call(), s.ret());
        if (last == UNSETTLED) {
          continue;
        }
        judged++;
        ScanClient.Item got = seen.get(key);
        boolean live = last != null && last.kind() == Op.Kind.PUT;
        if (live && got == null) {
          problems.add("scan " + s.n() + " missed " + key + ", which held " + last.value() + " at v" + last.version()
              + " throughout the scan [" + s.call() + ", " + s.ret() + "] (" + last.describe() + ")");
        } else if (!live && got != null) {
          problems.add("scan " + s.n() + " returned " + key + " = " + got.value() + ", which was "
              + (last == null ? "never written" : "deleted (" + last.describe() + ")") + " throughout the scan");
        } else if (live && (!got.value().equals(last.value()) || got.version() != last.version())) {
          problems.add("scan " + s.n() + " returned " + key + " = " + got.value() + " v" + got.version()
              + ", which held " + last.value() + " at v" + last.version() + " throughout the scan");
        }
      }
    }
    return new Result(scans.size(), complete, returned, judged, problems);
  }

  private static final Op UNSETTLED = Op.get(-1, -1, "-", 0, 0, false, null, 0);

  /**
   * The write that decides a key's state for the whole of [from, to]: the acknowledged write with the highest version
   * among those done before {@code from}, null if none; {@link #UNSETTLED} if a write may take effect within the
   * interval (one in flight then, or one of unknown outcome called before its end).
   */
  static Op settledBefore(List<Op> writes, long from, long to) {
    Op last = null;
    for (Op w : writes) {
      if (w.outcome() == Op.Outcome.MISMATCH) {
        continue; // refused at its place in the log: it changed nothing
      }
      if (w.call() < to && (w.outcome() == Op.Outcome.UNKNOWN || w.ret() > from)) {
        return UNSETTLED;
      }
      if (w.outcome() == Op.Outcome.OK && w.ret() < from && (last == null || w.version() > last.version())) {
        last = w;
      }
    }
    return last;
  }
}
