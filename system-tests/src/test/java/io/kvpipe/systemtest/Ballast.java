package io.kvpipe.systemtest;

import io.kvpipe.client.ShardGroupClient;
import io.kvpipe.common.ring.HashRanges;
import io.kvpipe.common.ring.HashRing;
import io.kvpipe.common.wire.Reply;
import io.kvpipe.testsupport.Poll;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Keys bulk-loaded straight into the groups by ring ownership (PutAll, one log entry per batch), that the client load
 * never touches: enough of them that the moved fraction is measured precisely, and a migration has real work to do.
 * They must all survive every scenario at the version they were loaded with.
 */
final class Ballast {
  private final Map<String, Long> versions = new LinkedHashMap<>();

  private Ballast() {}

  static Ballast load(SystemStack stack, SystemStack.Shards shards, int count, int valueBytes) {
    Ballast b = new Ballast();
    if (count == 0) {
      return b;
    }
    HashRing ring = HashRing.of(shards.ring(), shards.vnodes());
    Map<String, HashRanges> own = ring.ownership();
    // A fresh group owns every key until the proxy fences it to its ring ranges; loading before that would put keys
    // where the ring does not look for them.
    for (String g : shards.ring()) {
      ShardGroupClient c = stack.group(shards, g);
      Poll.until(g + " fenced to its ring ranges at epoch " + shards.epoch(), SystemStack.START,
          Duration.ofMillis(200), () -> {
            Reply.Status s = c.status();
            return s.epoch() == shards.epoch() && s.ranges().equals(own.get(g));
          });
    }
    Map<String, Map<String, byte[]>> byGroup = new LinkedHashMap<>();
    byte[] value = new byte[valueBytes];
    java.util.Arrays.fill(value, (byte) 'b');
    for (int i = 0; i < count; i++) {
      String key = String.format("ballast-%07d", i);
      byGroup.computeIfAbsent(ring.groupFor(key.getBytes(StandardCharsets.UTF_8)), g -> new LinkedHashMap<>())
          .put(key, value);
    }
    byGroup.forEach((g, keys) -> {
      ShardGroupClient c = stack.group(shards, g);
      List<String> names = new ArrayList<>(keys.keySet());
      for (int from = 0; from < names.size(); from += 1000) {
        Map<String, byte[]> batch = new LinkedHashMap<>();
        names.subList(from, Math.min(names.size(), from + 1000)).forEach(k -> batch.put(k, value));
        long version = c.putAllAsync(batch).join().version();
        batch.keySet().forEach(k -> b.versions.put(k, version));
      }
    });
    return b;
  }

  int size() {
    return versions.size();
  }

  /** Ballast keys the store no longer holds live at their loaded version. */
  List<String> missing(StoreContents store) {
    List<String> out = new ArrayList<>();
    versions.forEach((k, v) -> {
      StoreContents.Placed p = store.only(k);
      if (p == null || p.deleted() || p.version() != v) {
        out.add(k + " loaded at v" + v + ", store has " + p);
      }
    });
    return out;
  }
}
