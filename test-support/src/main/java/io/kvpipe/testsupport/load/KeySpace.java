package io.kvpipe.testsupport.load;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The keys of a load: each client thread owns its own keys (so one writer per key and an exact model), a mix of short
 * keys and long ones up to the 512-byte limit, all URL-safe ASCII. Deterministic for a seed, so a failing run's keys
 * can be named again.
 */
public final class KeySpace {
  private final List<List<String>> byThread;

  public KeySpace(int threads, int keysPerThread, double longKeyFraction, long seed) {
    Random random = new Random(seed);
    List<List<String>> all = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      List<String> keys = new ArrayList<>();
      for (int i = 0; i < keysPerThread; i++) {
        String shortKey = "t" + t + "-k" + i;
        if (random.nextDouble() < longKeyFraction) {
          // Long keys stress key encoding on every hop (HTTP path, wire, Kafka key, VARBINARY(512)).
          int length = 64 + random.nextInt(512 - 64 + 1);
          StringBuilder sb = new StringBuilder(shortKey).append('-');
          while (sb.length() < length) {
            sb.append((char) ('a' + random.nextInt(26)));
          }
          keys.add(sb.toString());
        } else {
          keys.add(shortKey);
        }
      }
      all.add(List.copyOf(keys));
    }
    this.byThread = List.copyOf(all);
  }

  public int threads() {
    return byThread.size();
  }

  public List<String> keysOf(int thread) {
    return byThread.get(thread);
  }

  public List<String> all() {
    List<String> out = new ArrayList<>();
    byThread.forEach(out::addAll);
    return out;
  }
}
