package io.kvpipe.node.shard;

import java.lang.management.ManagementFactory;
import java.util.Random;

/**
 * A measurement, not part of the suite (its name matches neither Surefire's nor Failsafe's patterns): what the store's
 * leaf size costs. Loads N records (16 B keys, 100 B values) into a {@link ShardStore}, then overwrites random keys and
 * prints the heap per record (after a full GC) and the bytes one overwrite allocates on its thread: every overwrite
 * copies its immutable {@link PackedMap} leaf, and each copy lives until the leaf's next write, so it is promoted and
 * dies in the old generation (bench/RESULTS.md, bench-pipeline, 2026-12-08). Run, after {@code mvn test-compile -pl
 * kv-node}, with the module's test class path: {@code java -Xmx2g -XX:+UseParallelGC -cp ...
 * io.kvpipe.node.shard.LeafChurnScratch 1000000}; change {@link PackedMap#MAX_LEAF} to compare leaf sizes.
 */
public class LeafChurnScratch {
  public static void main(String[] args) {
    int keys = Integer.parseInt(args[0]);
    var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long tid = Thread.currentThread().threadId();
    Runtime rt = Runtime.getRuntime();
    byte[][] ks = new byte[keys][];
    for (int i = 0; i < keys; i++) {
      ks[i] = String.format("key-%012d", i).getBytes();
    }
    System.gc();
    long heap0 = rt.totalMemory() - rt.freeMemory();
    ShardStore s = new ShardStore();
    byte[] v = new byte[100];
    Random r = new Random(7);
    for (int i = 0; i < keys; i++) {
      r.nextBytes(v);
      s.put(ks[i], new ShardStore.Rec(v.clone(), i + 1, 0));
    }
    System.gc();
    long heap1 = rt.totalMemory() - rt.freeMemory();
    for (int round = 0; round < 3; round++) {
      long a0 = mx.getThreadAllocatedBytes(tid);
      long t0 = System.nanoTime();
      int n = 200_000;
      for (int i = 0; i < n; i++) {
        int k = r.nextInt(keys);
        r.nextBytes(v);
        s.put(ks[k], new ShardStore.Rec(v.clone(), keys + i + 1L, 0));
      }
      long a1 = mx.getThreadAllocatedBytes(tid);
      long t1 = System.nanoTime();
      System.out.printf("MAX_LEAF %d: %d keys, heap %.1f B/record, overwrite allocates %.0f B, %.2f us%n",
          PackedMap.MAX_LEAF, keys, (heap1 - heap0) / (double) keys, (a1 - a0) / (double) n, (t1 - t0) / 1e3 / n);
    }
  }
}
