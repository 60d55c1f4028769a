package io.kvpipe.testsupport.check;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Checks a history of register operations for linearizability. Each key is an independent register, so the history
 * is linearizable iff each key's sub-history is (locality, Herlihy and Wing; porcupine's P-compositionality): the keys
 * are searched separately ({@link KeySearch}), the hot ones first, on {@code threads} threads.
 *
 * <p>Reads with no answer and writes refused before taking effect carry nothing to check and are left out; a write of
 * unknown outcome may or may not have happened, at any time after its call; a conditional write refused for a version
 * mismatch happened as a no-op whose condition was false at its linearization point.
 */
public final class LinearizabilityChecker {
  /** Search steps per key before giving up on it (an inconclusive key is reported, never taken as a pass). */
  public static final long DEFAULT_BUDGET = 20_000_000;

  private final long budget;
  private final int threads;

  public LinearizabilityChecker(long budgetPerKey, int threads) {
    if (budgetPerKey < 1 || threads < 1) {
      throw new IllegalArgumentException("budget and threads must be positive");
    }
    this.budget = budgetPerKey;
    this.threads = threads;
  }

  public LinearizabilityChecker() {
    this(DEFAULT_BUDGET, 1);
  }

  /** The result of a whole history. */
  public record Report(int keys, long opsChecked, long opsIgnored, List<KeyResult> violations,
                       List<KeyResult> inconclusive, long nanos, long steps) {
    public boolean linearizable() {
      return violations.isEmpty() && inconclusive.isEmpty();
    }

    public String summary() {
      return String.format("%d ops on %d keys checked (%d without effect ignored) in %.1f s, %d search steps: "
              + "%d keys violate linearizability, %d inconclusive", opsChecked, keys, opsIgnored, nanos / 1e9, steps,
          violations.size(), inconclusive.size());
    }
  }

  public Report check(List<Op> history) {
    long started = System.nanoTime();
    Map<String, List<Op>> byKey = new LinkedHashMap<>();
    long ignored = 0;
    for (Op op : history) {
      if (op.relevant()) {
        byKey.computeIfAbsent(op.key(), k -> new ArrayList<>()).add(op);
      } else {
        ignored++;
      }
    }
    List<Map.Entry<String, List<Op>>> order = new ArrayList<>(byKey.entrySet());
    order.sort(Comparator.comparingInt((Map.Entry<String, List<Op>> e) -> e.getValue().size()).reversed());
    List<KeyResult> results = new ArrayList<>();
    if (threads == 1) {
      for (var e : order) {
        results.add(new KeySearch(e.getKey(), e.getValue(), budget).run());
      }
    } else {
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      try {
        List<Future<KeyResult>> futures = new ArrayList<>();
        for (var e : order) {
          futures.add(pool.submit(() -> new KeySearch(e.getKey(), e.getValue(), budget).run()));
        }
        for (Future<KeyResult> f : futures) {
          results.add(f.get());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while checking", e);
      } catch (ExecutionException e) {
        throw new IllegalStateException("a key's search failed", e.getCause());
      } finally {
        pool.shutdownNow();
      }
    }
    long checked = 0;
    long steps = 0;
    List<KeyResult> violations = new ArrayList<>();
    List<KeyResult> inconclusive = new ArrayList<>();
    for (KeyResult r : results) {
      checked += r.ops();
      steps += r.steps();
      switch (r.verdict()) {
        case VIOLATION -> violations.add(r);
        case INCONCLUSIVE -> inconclusive.add(r);
        case LINEARIZABLE -> { }
      }
    }
    return new Report(byKey.size(), checked, ignored, violations, inconclusive, System.nanoTime() - started, steps);
  }
}
