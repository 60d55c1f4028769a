package io.kvpipe.systemtest;

import io.kvpipe.testsupport.check.Op;
import io.kvpipe.testsupport.mysql.MySqlDatabase;
import io.kvpipe.testsupport.robust.TtlClient.Write;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The TTL keys of a robustness run, after healing and idle. Deadlines are judged on this box's wall clock, which
 * stamped the entries: a put's deadline lies in [call + ttl, return + ttl].
 *
 * <ul>
 *   <li>Final read: a key whose possible last writes (its last acknowledged put, and any put of unknown outcome that
 *       could have landed after it: called less than {@link #UNKNOWN_WINDOW_MS} before it returned, or later) all
 *       carry a TTL whose deadline surely passed reads 404; one whose last acknowledged put has no TTL and no
 *       unknown put after it reads that value; any value read belongs to one of those puts.</li>
 *   <li>Archive ({@code origin = 'expiry'} rows, by their {@code prev_value}, the expired value): each is of a put
 *       of that key with a TTL; none twice; none for an acknowledged put the next put replaced before its
 *       deadline (that one returned before the deadline, or answered {@code created: false} with no unknown put
 *       between); exactly one for a key's last put when it was acknowledged, had a TTL, surely passed its deadline
 *       and nothing could have landed after it.</li>
 * </ul>
 */
final class TtlCheck {
  /** How long after its call a put of unknown outcome may still be applied (the clients' longest resend window). */
  static final long UNKNOWN_WINDOW_MS = 60_000;

  private TtlCheck() {}

  record FinalRead(String key, boolean found, String value, long wallMs) {}

  record Result(int writes, int withTtl, int expiryRows, int expectedExpired, int keysJudged, List<String> problems) {}

  /** Keys whose final read must be 404 (for waiting on the collector before the store is scanned). */
  static List<String> mustBeGone(List<Write> writes, List<String> keys, long nowMs) {
    Map<String, List<Write>> byKey = byKey(writes);
    List<String> out = new ArrayList<>();
    for (String k : keys) {
      List<Write> l = byKey.getOrDefault(k, List.of());
      Write last = lastOk(l);
      List<Write> candidates = candidates(l, last);
      if (!candidates.isEmpty() && candidates.stream().allMatch(w -> surelyExpired(w, nowMs))) {
        out.add(k);
      }
    }
    return out;
  }

  static Result check(List<Write> writes, List<FinalRead> finals, Map<String, List<String>> expiredValues) {
    List<String> problems = new ArrayList<>();
    Map<String, List<Write>> byKey = byKey(writes);
    int expected = 0;
    int judged = 0;
    for (FinalRead f : finals) {
      List<Write> l = byKey.getOrDefault(f.key(), List.of());
      Write last = lastOk(l);
      List<Write> candidates = candidates(l, last);
      boolean gone = candidates.stream().allMatch(w -> surelyExpired(w, f.wallMs()));
      if (gone && f.found()) {
        judged++;
        problems.add("ttl key " + f.key() + " reads " + f.value() + " after every possible last put's deadline: "
            + candidates.stream().map(TtlCheck::describe).toList());
      } else if (!gone && last != null && last.ttlMs() == 0 && candidates.size() == 1) {
        judged++;
        if (!f.found() || !last.value().equals(f.value())) {
          problems.add("ttl key " + f.key() + " reads " + (f.found() ? f.value() : "404") + ", its last put "
              + describe(last) + " had no TTL");
        }
      } else if (gone) {
        judged++;
      }
      if (f.found() && candidates.stream().noneMatch(w -> w.value().equals(f.value()))) {
        problems.add("ttl key " + f.key() + " reads " + f.value() + ", none of its possible last puts: "
            + candidates.stream().map(TtlCheck::describe).toList());
      }
    }
    int rows = 0;
    for (Map.Entry<String, List<String>> e : expiredValues.entrySet()) {
      String key = e.getKey();
      List<Write> l = byKey.getOrDefault(key, List.of());
      Map<String, Integer> count = new HashMap<>();
      for (String v : e.getValue()) {
        rows++;
        count.merge(v, 1, Integer::sum);
        if (l.stream().noneMatch(w -> w.value().equals(v) && w.ttlMs() > 0 && w.outcome() != Op.Outcome.FAILED)) {
          problems.add("expiry row of " + key + " for " + v + ", which no put with a TTL wrote there");
        }
      }
      count.forEach((v, n) -> {
        if (n > 1) {
          problems.add("expiry of " + key + " = " + v + " archived " + n + " times");
        }
      });
    }
    for (Map.Entry<String, List<Write>> e : byKey.entrySet()) {
      List<Write> l = e.getValue();
      Map<String, Long> rowsOf = new HashMap<>();
      expiredValues.getOrDefault(e.getKey(), List.of()).forEach(v -> rowsOf.merge(v, 1L, Long::sum));
      for (int i = 0; i < l.size(); i++) {
        Write w = l.get(i);
        if (w.outcome() != Op.Outcome.OK || w.ttlMs() == 0) {
          continue;
        }
        Write next = null;
        for (int j = i + 1; j < l.size() && next == null; j++) {
          if (l.get(j).outcome() != Op.Outcome.FAILED) {
            next = l.get(j);
          }
        }
        long n = rowsOf.getOrDefault(w.value(), 0L);
        if (next != null && next.outcome() == Op.Outcome.OK && n > 0) {
          Write nx = next;
          boolean unknownBetween = l.stream().anyMatch(u -> u.outcome() == Op.Outcome.UNKNOWN
              && u.callWallMs() < nx.callWallMs() && u.callWallMs() + UNKNOWN_WINDOW_MS > w.retWallMs());
          if (next.retWallMs() < w.earliestDeadline()) {
            problems.add("expiry of " + e.getKey() + " = " + w.value() + " archived, but " + describe(next)
                + " replaced it before its deadline (" + describe(w) + ")");
          } else if (Boolean.FALSE.equals(next.created()) && !unknownBetween) {
            problems.add("expiry of " + e.getKey() + " = " + w.value() + " archived, but the next put "
                + describe(next) + " found it live (created: false)");
          }
        }
        Write last = lastOk(l);
        if (next == null && w == last && candidates(l, last).size() == 1) {
          FinalRead f = finals.stream().filter(x -> x.key().equals(e.getKey())).findFirst().orElse(null);
          if (f != null && surelyExpired(w, f.wallMs())) {
            expected++;
            if (n != 1) {
              problems.add("the last put of " + e.getKey() + " " + describe(w) + " expired, and kv_changelog has "
                  + n + " expiry rows of it (expected 1)");
            }
          }
        }
      }
    }
    return new Result(writes.size(), (int) writes.stream().filter(w -> w.ttlMs() > 0).count(), rows, expected, judged,
        problems);
  }

  /** origin = 'expiry' rows of the run's TTL keys: key -> the values they expired (prev_value), in version order. */
  static Map<String, List<String>> expiryRows(MySqlDatabase db, String keyPrefix) throws SQLException {
    Map<String, List<String>> out = new HashMap<>();
    try (Connection c = db.connect(); PreparedStatement s = c.prepareStatement(
        "SELECT kv_key, prev_value, op FROM kv_changelog WHERE origin = 'expiry' AND kv_key LIKE ? ORDER BY version")) {
      s.setBytes(1, (keyPrefix + "-ttl-%").getBytes(StandardCharsets.UTF_8));
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          byte[] prev = rs.getBytes(2);
          String v = prev == null ? "<no prev_value>" : new String(prev, StandardCharsets.UTF_8);
          out.computeIfAbsent(new String(rs.getBytes(1), StandardCharsets.UTF_8), k -> new ArrayList<>())
              .add("d".equals(rs.getString(3)) ? v : v + " (op " + rs.getString(3) + ")");
        }
      }
    }
    return out;
  }

  private static Map<String, List<Write>> byKey(List<Write> writes) {
    Map<String, List<Write>> m = new HashMap<>();
    writes.stream().sorted(Comparator.comparingLong(Write::id))
        .forEach(w -> m.computeIfAbsent(w.key(), k -> new ArrayList<>()).add(w));
    return m;
  }

  private static Write lastOk(List<Write> l) {
    Write last = null;
    for (Write w : l) {
      if (w.outcome() == Op.Outcome.OK) {
        last = w;
      }
    }
    return last;
  }

  private static List<Write> candidates(List<Write> l, Write last) {
    List<Write> out = new ArrayList<>();
    if (last != null) {
      out.add(last);
    }
    for (Write w : l) {
      if (w.outcome() == Op.Outcome.UNKNOWN
          && (last == null || w.callWallMs() + UNKNOWN_WINDOW_MS > last.retWallMs())) {
        out.add(w);
      }
    }
    return out;
  }

  private static boolean surelyExpired(Write w, long nowMs) {
    if (w.ttlMs() == 0) {
      return false;
    }
    long latest = w.outcome() == Op.Outcome.OK ? w.latestDeadline() : w.callWallMs() + UNKNOWN_WINDOW_MS + w.ttlMs();
    return latest < nowMs;
  }

  private static String describe(Write w) {
    return "#" + w.id() + " " + w.value() + (w.ttlMs() > 0 ? " ttl " + w.ttlMs() + " ms" : " no ttl") + " -> "
        + w.outcome().name().toLowerCase() + (w.outcome() == Op.Outcome.OK ? " v" + w.version()
        + (w.created() == null ? "" : w.created() ? " created" : " updated") : "") + " [" + w.callWallMs() + ", "
        + w.retWallMs() + "]";
  }
}
