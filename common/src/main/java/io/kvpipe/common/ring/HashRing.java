package io.kvpipe.common.ring;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * A consistent-hash ring: each shard group places {@code vnodes} tokens at Murmur3("group#i"); a key belongs to the
 * group of the first token at or after the key's hash, wrapping around. Immutable; the same group ids and vnode count
 * give the same ring in every process, which is what lets the proxy and the nodes agree on ownership.
 */
public final class HashRing {
  public static final int DEFAULT_VNODES = 128;

  private final long[] tokens;
  private final String[] owners;
  private final int vnodes;

  private HashRing(long[] tokens, String[] owners, int vnodes) {
    this.tokens = tokens;
    this.owners = owners;
    this.vnodes = vnodes;
  }

  public static HashRing of(Collection<String> groupIds, int vnodes) {
    if (groupIds.isEmpty()) {
      throw new IllegalArgumentException("a ring needs at least one group");
    }
    if (vnodes < 1) {
      throw new IllegalArgumentException("vnodes must be positive");
    }
    // Sorting groups first makes token collisions resolve the same way everywhere.
    TreeSet<String> sortedGroups = new TreeSet<>(groupIds);
    Map<Long, String> byToken = new HashMap<>();
    for (String group : sortedGroups) {
      for (int i = 0; i < vnodes; i++) {
        long token = Murmur3.hash32((group + "#" + i).getBytes(StandardCharsets.UTF_8));
        byToken.putIfAbsent(token, group);
      }
    }
    long[] tokens = byToken.keySet().stream().mapToLong(Long::longValue).sorted().toArray();
    String[] owners = new String[tokens.length];
    for (int i = 0; i < tokens.length; i++) {
      owners[i] = byToken.get(tokens[i]);
    }
    return new HashRing(tokens, owners, vnodes);
  }

  /**
   * The key's place on the ring: the hash of its hash tag if it has one, else of the whole key. The only function
   * that hashes a key, so the proxy's routing, the groups' ownership checks, their stores' order and migrations'
   * ranges all agree. See {@link HashTags}.
   */
  public static long position(byte[] key) {
    int[] tag = HashTags.tag(key);
    return tag == null ? Murmur3.hash32(key) : Murmur3.hash32(key, tag[0], tag[1]);
  }

  public String groupFor(byte[] key) {
    return groupForPosition(position(key));
  }

  public String groupForPosition(long position) {
    int i = Arrays.binarySearch(tokens, position);
    int idx = i >= 0 ? i : -i - 1;
    return owners[idx == tokens.length ? 0 : idx];
  }

  public int vnodes() {
    return vnodes;
  }

  public List<String> groups() {
    return List.copyOf(new TreeSet<>(Arrays.asList(owners)));
  }

  /** The ranges each group owns: token t owns (previous token, t], i.e. [previous + 1, t + 1). */
  public Map<String, HashRanges> ownership() {
    Map<String, List<HashRange>> acc = new HashMap<>();
    for (int i = 0; i < tokens.length; i++) {
      String owner = owners[i];
      List<HashRange> list = acc.computeIfAbsent(owner, g -> new ArrayList<>());
      long end = tokens[i] + 1;
      if (i == 0) {
        // The first token also owns the wrap-around arc after the last token.
        long lastEnd = tokens[tokens.length - 1] + 1;
        if (lastEnd < HashRange.RING_SIZE) {
          list.add(new HashRange(lastEnd, HashRange.RING_SIZE));
        }
        list.add(new HashRange(0, end));
      } else {
        list.add(new HashRange(tokens[i - 1] + 1, end));
      }
    }
    Map<String, HashRanges> out = new HashMap<>();
    acc.forEach((g, l) -> out.put(g, HashRanges.of(l)));
    return Map.copyOf(out);
  }

  public HashRanges rangesOf(String group) {
    return ownership().getOrDefault(group, HashRanges.EMPTY);
  }
}
