package io.kvpipe.node.shard;

import io.kvpipe.common.ring.HashRanges;
import io.kvpipe.common.ring.HashTags;
import io.kvpipe.common.ring.Murmur3;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Finds records a kvpipe without hash tags placed here that hash tags now place elsewhere: a key with a {@code {tag}}
 * whose whole-key position this group owns but whose tag position it does not. Such a record is invisible (reads go
 * to the tag's group) and a later purge of unowned records would drop it. Only snapshots written before hash tags
 * existed can hold them (docs/txn.md, "Upgrading a store that already holds keys with braces").
 */
final class StrandedTaggedKeys {
  /** How many there are, and one of them for the message. */
  record Found(int count, String example) {}

  private StrandedTaggedKeys() {}

  static Found in(ShardState state) {
    HashRanges owned = state.ownership().ranges();
    int count = 0;
    String example = null;
    for (Map.Entry<ShardStore.Slot, ShardStore.Rec> e : state.store().all()) {
      byte[] key = e.getKey().key();
      if (HashTags.hasTag(key) && !owned.contains(e.getKey().position()) && owned.contains(Murmur3.hash32(key))) {
        count++;
        if (example == null) {
          example = new String(key, StandardCharsets.UTF_8);
        }
      }
    }
    return new Found(count, example);
  }
}
