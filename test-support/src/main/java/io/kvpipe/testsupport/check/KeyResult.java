package io.kvpipe.testsupport.check;

/** The verdict on one key: linearizable, a violation (with the search's best explanation), or the search gave up. */
public record KeyResult(String key, Verdict verdict, int ops, long steps, long nanos, String explanation) {
  public enum Verdict { LINEARIZABLE, VIOLATION, INCONCLUSIVE }

  static KeyResult linearizable(String key, int ops, long steps, long nanos) {
    return new KeyResult(key, Verdict.LINEARIZABLE, ops, steps, nanos, null);
  }

  static KeyResult violation(String key, int ops, long steps, long nanos, String why) {
    return new KeyResult(key, Verdict.VIOLATION, ops, steps, nanos, why);
  }

  static KeyResult inconclusive(String key, int ops, long steps, long nanos, String why) {
    return new KeyResult(key, Verdict.INCONCLUSIVE, ops, steps, nanos, why);
  }
}
