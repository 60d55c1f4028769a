package io.kvpipe.testsupport.check;

import java.util.Arrays;

/**
 * The sequential specification of one key, as kvpipe defines it: a register holding a live value or none (never
 * written, or deleted), with a version that strictly increases with every write applied to the key (a delete too: a
 * tombstone has a version). Immutable; equal states are interchangeable for the search's memo.
 *
 * <p>A write whose outcome is unknown changes the value without telling its version. The state then keeps what is
 * known of it: at least {@code lo}, and none of {@code excluded} (versions a refused conditional write proved it is
 * not). A later read that returns the value pins the version; a later acknowledged write needs a version above it.
 *
 * <p>Values are interned per key: {@code value} is an index into the key's values, {@link #NO_VALUE} when none.
 */
final class RegisterState {
  static final int NO_VALUE = -1;
  static final long UNKNOWN = -1;
  static final RegisterState INITIAL = new RegisterState(false, NO_VALUE, 0, 0, null);
  private static final RegisterState[] NONE = new RegisterState[0];

  final boolean live;
  final int value;
  /** Exact version, or {@link #UNKNOWN}. */
  final long version;
  /** When the version is unknown: its least possible value. */
  final long lo;
  /** When the version is unknown: values it cannot have (sorted), or null. */
  final long[] excluded;
  private final int hash;

  private RegisterState(boolean live, int value, long version, long lo, long[] excluded) {
    this.live = live;
    this.value = value;
    this.version = version;
    this.lo = lo;
    this.excluded = excluded;
    this.hash = ((Boolean.hashCode(live) * 31 + value) * 31 + Long.hashCode(version)) * 31 + Long.hashCode(lo) * 7
        + Arrays.hashCode(excluded);
  }

  /**
   * The states after linearizing {@code op} here; empty if it cannot take effect here. For an op of unknown outcome
   * only its applied branch is returned: "not applied" is the search leaving it out.
   *
   * @param valueId the op's value, interned (its written value for a put, its read value for a found get)
   */
  RegisterState[] step(Op op, int valueId) {
    if (op.kind() == Op.Kind.GET) {
      if (!op.found()) {
        return live ? NONE : one(this);
      }
      if (!live || value != valueId) {
        return NONE;
      }
      return one(pin(op.version()));
    }
    long expected = op.expected();
    return switch (op.outcome()) {
      case OK -> {
        RegisterState before = matching(expected);
        if (before == null || !before.flagAgrees(op) || !before.below(op.version())) {
          yield NONE;
        }
        yield one(new RegisterState(op.kind() == Op.Kind.PUT, op.kind() == Op.Kind.PUT ? valueId : NO_VALUE,
            op.version(), 0, null));
      }
      case MISMATCH -> one(notMatching(expected));
      case UNKNOWN -> {
        RegisterState before = matching(expected);
        if (before == null) {
          yield NONE;
        }
        yield one(new RegisterState(op.kind() == Op.Kind.PUT, op.kind() == Op.Kind.PUT ? valueId : NO_VALUE, UNKNOWN,
            before.leastVersion() + 1, null));
      }
      case FAILED -> throw new IllegalArgumentException("a failed op is never placed: " + op.describe());
    };
  }

  private static RegisterState[] one(RegisterState s) {
    return s == null ? NONE : new RegisterState[] {s};
  }

  /** This state if a conditional write expecting {@code expected} would pass here (pinning the version), else null. */
  private RegisterState matching(long expected) {
    if (expected == Op.ANY) {
      return this;
    }
    if (expected == Op.NONE) {
      return live ? null : this;
    }
    return live ? pin(expected) : null;
  }

  /** This state if a write expecting {@code expected} would be refused here, else null. */
  private RegisterState notMatching(long expected) {
    if (expected == Op.ANY) {
      return null;
    }
    if (expected == Op.NONE) {
      return live ? this : null;
    }
    return live ? exclude(expected) : this;
  }

  /** This state with its version known to be {@code v}, or null if it cannot be {@code v}. */
  private RegisterState pin(long v) {
    if (version != UNKNOWN) {
      return version == v ? this : null;
    }
    if (v < lo || (excluded != null && Arrays.binarySearch(excluded, v) >= 0)) {
      return null;
    }
    return new RegisterState(live, value, v, 0, null);
  }

  /** This state with its version known not to be {@code v}, or null if it is {@code v}. */
  private RegisterState exclude(long v) {
    if (version != UNKNOWN) {
      return version == v ? null : this;
    }
    if (v < lo || (excluded != null && Arrays.binarySearch(excluded, v) >= 0)) {
      return this;
    }
    long[] ex = excluded == null ? new long[] {v} : Arrays.copyOf(excluded, excluded.length + 1);
    ex[ex.length - 1] = v;
    Arrays.sort(ex);
    return new RegisterState(live, value, UNKNOWN, lo, ex);
  }

  /** Whether a write given version {@code v} can follow this state: the key's versions strictly increase. */
  private boolean below(long v) {
    if (version != UNKNOWN) {
      return version < v;
    }
    return leastVersion() < v;
  }

  private long leastVersion() {
    if (version != UNKNOWN) {
      return version;
    }
    long v = lo;
    if (excluded != null) {
      for (long x : excluded) {
        if (x == v) {
          v++;
        }
      }
    }
    return v;
  }

  /** A put's "created" says the key had no live value; a delete's "existed" that it had one. */
  private boolean flagAgrees(Op op) {
    if (op.flag() == null) {
      return true;
    }
    return op.kind() == Op.Kind.PUT ? op.flag() == !live : op.flag() == live;
  }

  String describe(java.util.List<String> values) {
    String v = version == UNKNOWN ? "v?>=" + lo + (excluded == null ? "" : " not " + Arrays.toString(excluded))
        : "v" + version;
    return live ? values.get(value) + "@" + v : "absent@" + v;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RegisterState s && s.hash == hash && s.live == live && s.value == value
        && s.version == version && s.lo == lo && Arrays.equals(s.excluded, excluded);
  }

  @Override
  public int hashCode() {
    return hash;
  }
}
