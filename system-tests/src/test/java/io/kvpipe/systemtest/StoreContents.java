package io.kvpipe.systemtest;

import io.kvpipe.client.ShardGroupClient;
import io.kvpipe.common.ring.HashRanges;
import io.kvpipe.common.ring.HashRing;
import io.kvpipe.common.wire.Entry;
import io.kvpipe.common.wire.Reply;
import io.kvpipe.common.wire.ScanCursor;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Every record (tombstones included) of every ring group, read by scanning each group straight through the Ratis
 * client: where each key lives, at which version. Used to measure which keys a migration moved and to compare the
 * store with the archive.
 */
record StoreContents(Map<String, List<Placed>> byKey) {
  /** One record of a key in one group; {@code digest} is null for a tombstone. */
  record Placed(String group, long version, String digest) {
    boolean deleted() {
      return digest == null;
    }
  }

  static StoreContents scan(SystemStack stack, SystemStack.Shards shards) {
    Map<String, List<Placed>> m = new TreeMap<>();
    for (String g : shards.ring()) {
      ShardGroupClient c = stack.group(shards, g);
      ScanCursor cursor = null;
      do {
        Reply.ScanPage page = c.scan(HashRanges.FULL, cursor, 500);
        for (Entry e : page.entries()) {
          m.computeIfAbsent(e.keyString(), k -> new ArrayList<>())
              .add(new Placed(g, e.version(), e.value() == null ? null : digest(e.value())));
        }
        cursor = page.next();
      } while (cursor != null);
    }
    return new StoreContents(m);
  }

  /** The single group holding {@code key}, or null if none; fails if several groups hold it. */
  Placed only(String key) {
    List<Placed> l = byKey.getOrDefault(key, List.of());
    if (l.size() > 1) {
      throw new AssertionError(key + " is held by several groups: " + l);
    }
    return l.isEmpty() ? null : l.get(0);
  }

  /** Keys held by more than one group (none once a migration has purged its sources). */
  List<String> duplicated() {
    return byKey.entrySet().stream().filter(e -> e.getValue().size() > 1).map(Map.Entry::getKey).toList();
  }

  /** Keys held by a group the ring does not assign them to. */
  List<String> misplaced(HashRing ring) {
    List<String> out = new ArrayList<>();
    byKey.forEach((k, l) -> {
      String owner = ring.groupFor(k.getBytes(StandardCharsets.UTF_8));
      if (l.stream().anyMatch(p -> !p.group().equals(owner))) {
        out.add(k + " in " + l + ", ring owner " + owner);
      }
    });
    return out;
  }

  static String digest(byte[] value) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(value)).substring(0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
