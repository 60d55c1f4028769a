package io.kvpipe.proxy.resp;

import io.kvpipe.common.Ttl;
import io.kvpipe.common.wire.Entry;
import java.util.List;
import java.util.Optional;

/**
 * An expiry a command asks for, checked as Redis checks it and turned into what the store takes: a TTL in milliseconds
 * counted from the leader's stamp (docs/ttl.md). Absolute times (EXAT, PXAT, EXPIREAT) become a TTL by this proxy's
 * clock when the command runs, so the stored deadline is off by the skew between this proxy and the leader plus the
 * time to reach the leader; relative ones (EX, PX, EXPIRE) are exact from the leader's stamp.
 */
record Expiry(Kind kind, long amountMs) {
  enum Kind { NONE, RELATIVE, ABSOLUTE, KEEP, PERSIST }

  static final Expiry NONE = new Expiry(Kind.NONE, 0);
  static final Expiry KEEP = new Expiry(Kind.KEEP, 0);
  static final Expiry PERSIST = new Expiry(Kind.PERSIST, 0);

  static Expiry relative(long ms) {
    return new Expiry(Kind.RELATIVE, ms);
  }

  static Expiry absolute(long epochMs) {
    return new Expiry(Kind.ABSOLUTE, epochMs);
  }

  /** Whether this gives the key a deadline (as opposed to none, keeping the current one, or removing it). */
  boolean timed() {
    return kind == Kind.RELATIVE || kind == Kind.ABSOLUTE;
  }

  /** The deadline this asks for by a clock reading {@code nowMs}. */
  long deadlineAt(long nowMs) {
    return kind == Kind.ABSOLUTE ? amountMs : nowMs + amountMs;
  }

  /** The TTL to store when the command runs at {@code nowMs}; zero or less: the deadline has passed already. */
  long ttlAt(long nowMs) {
    return kind == Kind.ABSOLUTE ? amountMs - nowMs : amountMs;
  }

  /**
   * The value of EX, PX, EXAT or PXAT (and SETEX, PSETEX, GETEX's): Redis refuses one that is not positive or would
   * overflow once in milliseconds; kvpipe also refuses a deadline more than {@link Ttl#MAX_MS} ahead.
   */
  static Expiry ofSetOption(String option, byte[] raw, String command, long nowMs) {
    long v = RespArgs.integer(raw, "value is not an integer or out of range");
    boolean seconds = option.equals("EX") || option.equals("EXAT");
    if (v <= 0 || (seconds && v > Long.MAX_VALUE / 1000)) {
      throw invalid(command);
    }
    long ms = seconds ? v * 1000 : v;
    boolean absolute = option.endsWith("AT");
    Expiry e = absolute ? absolute(ms) : relative(ms);
    checkWithinCap(e, command, nowMs);
    return e;
  }

  /**
   * The time of EXPIRE, PEXPIRE, EXPIREAT or PEXPIREAT: any integer, as in Redis (zero or negative, or a time in the
   * past, means the key is deleted now); Redis refuses only what overflows, kvpipe also a deadline over its cap.
   */
  static Expiry ofExpireArgument(byte[] raw, boolean seconds, boolean absolute, String command, long nowMs) {
    long v = RespArgs.integer(raw, "value is not an integer or out of range");
    if (seconds && (v > Long.MAX_VALUE / 1000 || v < Long.MIN_VALUE / 1000)) {
      throw invalid(command);
    }
    long ms = seconds ? v * 1000 : v;
    if (!absolute && ms > Long.MAX_VALUE - nowMs) {
      throw invalid(command);
    }
    // A relative time is made absolute now, as Redis does, so that "zero or negative" and "in the past" are one case.
    Expiry e = absolute(absolute ? ms : nowMs + ms);
    checkWithinCap(e, command, nowMs);
    return e;
  }

  private static void checkWithinCap(Expiry e, String command, long nowMs) {
    if (e.ttlAt(nowMs) > Ttl.MAX_MS) {
      throw RespException.err("invalid expire time in '" + command + "' command (kvpipe keeps a key at most "
          + Ttl.MAX_MS / 1000 + " seconds)");
    }
  }

  /**
   * The TTL that keeps the deadline of {@code current} (as read) for a put made now ({@code nowMs}, this proxy's
   * clock): the time left, at least 1 ms (a deadline this clock has passed but the store had not: the shortest TTL
   * there is), or {@link Ttl#NONE} for a key without one. The deadline moves by the time from the read to the leader's
   * stamp plus the skew between this proxy and the leader.
   */
  static long keptTtl(Optional<Entry> current, long nowMs) {
    if (current.isEmpty() || !current.get().hasTtl()) {
      return Ttl.NONE;
    }
    return Math.max(1, current.get().expiresAtMs() - nowMs);
  }

  static RespException invalid(String command) {
    return RespException.err("invalid expire time in '" + command + "' command");
  }

  /** The options of EXPIRE and its kin: NX, XX, GT, LT, with Redis's rules on combining them. */
  record Condition(boolean nx, boolean xx, boolean gt, boolean lt) {
    static Condition parse(List<byte[]> args, int from) {
      boolean nx = false;
      boolean xx = false;
      boolean gt = false;
      boolean lt = false;
      for (int i = from; i < args.size(); i++) {
        switch (RespCommands.upper(args.get(i))) {
          case "NX" -> nx = true;
          case "XX" -> xx = true;
          case "GT" -> gt = true;
          case "LT" -> lt = true;
          default -> throw RespException.err("Unsupported option " + RespArgs.shown(args.get(i)));
        }
      }
      if (nx && (xx || gt || lt)) {
        throw RespException.err("NX and XX, GT or LT options at the same time are not compatible");
      }
      if (gt && lt) {
        throw RespException.err("GT and LT options at the same time are not compatible");
      }
      return new Condition(nx, xx, gt, lt);
    }

    /**
     * Whether a key whose deadline is {@code currentMs} ({@link Ttl#NONE}: none, which GT and LT take as infinite,
     * as Redis does) may get the deadline {@code newMs}.
     */
    boolean allows(long currentMs, long newMs) {
      boolean has = currentMs != Ttl.NONE;
      if (nx && has || xx && !has) {
        return false;
      }
      if (gt && (!has || newMs <= currentMs)) {
        return false;
      }
      return !(lt && has && newMs >= currentMs);
    }
  }
}
