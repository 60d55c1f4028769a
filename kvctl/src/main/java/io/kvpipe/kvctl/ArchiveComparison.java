package io.kvpipe.kvctl;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Compares the store's records with the archive's {@code kv_current}. Consistent means: every live key of the store is
 * live in the archive with the same version, and every key live in the archive is live in the store. Tombstones are
 * compared only where one side says "live" (the store may have collected a tombstone the archive still keeps, and a
 * delete of an absent key may leave a tombstone the archive never saw). Not thread-safe; one comparison per instance.
 */
final class ArchiveComparison {
  enum Kind { MISSING_IN_ARCHIVE, VERSION_MISMATCH, DELETED_IN_ARCHIVE, LIVE_ONLY_IN_ARCHIVE }

  record Difference(Kind kind, String key, Long storeVersion, Long archiveVersion) {}

  record Result(long storeLiveKeys, long archiveLiveKeys, long differenceCount, List<Difference> differences) {
    boolean consistent() {
      return differenceCount == 0;
    }
  }

  private final Map<String, KeyState> store = new HashMap<>();

  /** Adds a store record; a key seen in two groups (mid-migration) keeps its newest version. */
  void addStore(KeyState s) {
    store.merge(s.keyBytes(), s, (a, b) -> a.version() >= b.version() ? a : b);
  }

  /** Compares with the archive; lists at most {@code maxListed} differences (all are counted). */
  Result compare(Iterable<KeyState> archiveRows, int maxListed) {
    List<Difference> listed = new ArrayList<>();
    long[] count = new long[1];
    Map<String, KeyState> archive = new HashMap<>();
    for (KeyState a : archiveRows) {
      archive.put(a.keyBytes(), a);
    }
    java.util.function.Consumer<Difference> report = d -> {
      count[0]++;
      if (listed.size() < maxListed) {
        listed.add(d);
      }
    };
    long storeLive = 0;
    for (KeyState s : store.values()) {
      if (s.deleted()) {
        continue;
      }
      storeLive++;
      KeyState a = archive.get(s.keyBytes());
      if (a == null) {
        report.accept(new Difference(Kind.MISSING_IN_ARCHIVE, s.keyBytes(), s.version(), null));
      } else if (a.deleted()) {
        report.accept(new Difference(Kind.DELETED_IN_ARCHIVE, s.keyBytes(), s.version(), a.version()));
      } else if (a.version() != s.version()) {
        report.accept(new Difference(Kind.VERSION_MISMATCH, s.keyBytes(), s.version(), a.version()));
      }
    }
    long archiveLive = 0;
    for (KeyState a : archive.values()) {
      if (a.deleted()) {
        continue;
      }
      archiveLive++;
      KeyState s = store.get(a.keyBytes());
      if (s == null || s.deleted()) {
        report.accept(new Difference(Kind.LIVE_ONLY_IN_ARCHIVE, a.keyBytes(), s == null ? null : s.version(),
            a.version()));
      }
    }
    return new Result(storeLive, archiveLive, count[0], listed);
  }
}
