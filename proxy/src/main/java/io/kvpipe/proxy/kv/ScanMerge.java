package io.kvpipe.proxy.kv;

import io.kvpipe.common.wire.Entry;
import io.kvpipe.common.wire.Reply;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * One round of a cross-group scan: the groups' key-ordered pages, all starting at the same key, merged into the live
 * records in key order. A group's page is complete up to its last key when it has more, so only keys up to the
 * smallest such key are decided this round; the next round resumes just after it. Each key's record is taken from
 * the group that owns it on the round's ring; while a migration moves the key, from its new owner if that has one, else
 * from its old owner (fenced, so final) — or the newer of both during a cancel's inverse, as {@link KvRouter#read}
 * does. Records a group holds for keys it neither owns nor is the old owner of (copies not yet purged) are ignored.
 * Pure: no I/O, so the rules are unit-tested.
 */
final class ScanMerge {
  private ScanMerge() {}

  /** Who may answer for a key on the round's ring. */
  interface Owners {
    String owner(byte[] key);

    /** The old owner while a migration moves the key, else null. */
    String fallback(byte[] key);

    /** A cancel's inverse: the new owner may hold an older record than the old one. */
    boolean newerOfBoth();
  }

  /**
   * The live records decided this round (at most {@code want}, and at most {@code maxBytes} of values unless the
   * first alone is larger), and where the next round starts ({@code resumeFrom}, inclusive; null: the scan is done).
   */
  record Result(List<Entry> items, long valueBytes, byte[] resumeFrom) {}

  static Result merge(Map<String, Reply.KeyPage> pages, Owners owners, int want, long maxBytes) {
    byte[] bound = null;
    for (Reply.KeyPage p : pages.values()) {
      if (p.more()) {
        byte[] last = p.entries().get(p.entries().size() - 1).key();
        if (bound == null || Arrays.compareUnsigned(last, bound) < 0) {
          bound = last;
        }
      }
    }
    TreeMap<byte[], Map<String, Entry>> byKey = new TreeMap<>(Arrays::compareUnsigned);
    for (Map.Entry<String, Reply.KeyPage> p : pages.entrySet()) {
      for (Entry e : p.getValue().entries()) {
        if (bound != null && Arrays.compareUnsigned(e.key(), bound) > 0) {
          break;
        }
        byKey.computeIfAbsent(e.key(), k -> new HashMap<>(2)).put(p.getKey(), e);
      }
    }
    List<Entry> out = new ArrayList<>();
    long bytes = 0;
    for (Map.Entry<byte[], Map<String, Entry>> k : byKey.entrySet()) {
      Entry rec = resolve(k.getKey(), k.getValue(), owners);
      if (rec == null || rec.deleted()) {
        continue;
      }
      long size = rec.value().length;
      if (out.size() == want || (!out.isEmpty() && bytes + size > maxBytes)) {
        return new Result(out, bytes, k.getKey());
      }
      out.add(rec);
      bytes += size;
    }
    return new Result(out, bytes, bound == null ? null : successor(bound));
  }

  /** The record a scan reports for {@code key}, tombstones included; null when no answering group has one. */
  static Entry resolve(byte[] key, Map<String, Entry> found, Owners owners) {
    Entry owned = found.get(owners.owner(key));
    String old = owners.fallback(key);
    if (old == null) {
      return owned;
    }
    Entry fallback = found.get(old);
    if (owners.newerOfBoth()) {
      return MovingKeys.newer(Optional.ofNullable(owned), Optional.ofNullable(fallback)).orElse(null);
    }
    return owned != null ? owned : fallback;
  }

  /** The smallest key sorting after {@code key}: the key and one zero byte. */
  static byte[] successor(byte[] key) {
    return Arrays.copyOf(key, key.length + 1);
  }

  /** The smallest key sorting after every key starting with {@code prefix}; null if there is none (all 0xFF). */
  static byte[] prefixEnd(byte[] prefix) {
    for (int i = prefix.length - 1; i >= 0; i--) {
      if (prefix[i] != (byte) 0xFF) {
        byte[] end = Arrays.copyOf(prefix, i + 1);
        end[i]++;
        return end;
      }
    }
    return null;
  }
}
