package io.kvpipe.proxy.kv;

import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.proxy.topology.TopologyView;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The one group that owns every key of a transaction on a ring, or a refusal that names the groups. */
final class OneGroup {
  /** How many keys per group the refusal names before it says "…". */
  private static final int KEYS_NAMED = 3;

  private OneGroup() {}

  static String of(TopologyView v, List<byte[]> keys) {
    Map<String, List<String>> byGroup = new TreeMap<>();
    for (byte[] key : keys) {
      byGroup.computeIfAbsent(v.groupFor(key), g -> new ArrayList<>()).add(new String(key, StandardCharsets.UTF_8));
    }
    if (byGroup.size() == 1) {
      return byGroup.keySet().iterator().next();
    }
    StringBuilder sb = new StringBuilder("a transaction's keys must all live in one shard group; these live in ")
        .append(byGroup.size()).append(" groups: ");
    String sep = "";
    for (Map.Entry<String, List<String>> e : byGroup.entrySet()) {
      List<String> named = e.getValue().stream().distinct().toList();
      sb.append(sep).append(e.getKey()).append(" (")
          .append(String.join(", ", named.subList(0, Math.min(KEYS_NAMED, named.size()))))
          .append(named.size() > KEYS_NAMED ? ", …" : "").append(')');
      sep = ", ";
    }
    sb.append(". Give related keys a common hash tag, e.g. {user:42}:profile and {user:42}:cart (docs/txn.md)");
    throw new KvException(ErrorCode.CROSS_GROUP, sb.toString());
  }
}
