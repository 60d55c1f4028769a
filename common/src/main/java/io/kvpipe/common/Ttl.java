package io.kvpipe.common;

import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;

/**
 * Time to live of a key (docs/ttl.md): parsed from what a client sends, held as milliseconds. A TTL is a duration;
 * the leader turns it into a deadline (epoch milliseconds) with the time it stamps on the log entry, so every replica
 * stores the same deadline. {@link #NONE} (0) means "no TTL" everywhere: in a put, in a stored record, in an entry.
 */
public final class Ttl {
  /** No time to live: the key lives until it is deleted. */
  public static final long NONE = 0;
  /** Longest accepted TTL: ten years. Longer ones are refused rather than silently capped. */
  public static final long MAX_MS = 10L * 365 * 24 * 3600 * 1000;

  private Ttl() {}

  /**
   * Parses {@code 30s}, {@code 1500ms}, {@code 5m}, {@code 2h}, {@code 7d}, or a bare number of seconds ({@code 30}),
   * into milliseconds within 1..{@link #MAX_MS}. Anything else (0, negative, a fraction, an unknown unit, too large)
   * is MALFORMED_REQUEST naming {@code what}.
   */
  public static long parse(String text, String what) {
    if (text == null || text.isBlank()) {
      throw bad(what, text, "is empty");
    }
    String t = text.trim();
    int unitAt = 0;
    while (unitAt < t.length() && Character.isDigit(t.charAt(unitAt))) {
      unitAt++;
    }
    if (unitAt == 0) {
      throw bad(what, text, "must be a positive whole number with an optional unit ms, s, m, h or d");
    }
    String unit = t.substring(unitAt);
    long perUnit = switch (unit) {
      case "ms" -> 1;
      case "", "s" -> 1000;
      case "m" -> 60_000;
      case "h" -> 3_600_000;
      case "d" -> 86_400_000;
      default -> throw bad(what, text, "has an unknown unit '" + unit + "' (use ms, s, m, h or d)");
    };
    long amount;
    try {
      amount = Long.parseLong(t.substring(0, unitAt));
    } catch (NumberFormatException e) {
      throw bad(what, text, "is too large (at most " + MAX_MS / 1000 + "s)");
    }
    if (amount == 0) {
      throw bad(what, text, "must be positive (omit it for a key without TTL)");
    }
    if (amount > MAX_MS / perUnit) {
      throw bad(what, text, "is too large (at most " + MAX_MS / 1000 + "s)");
    }
    return check(amount * perUnit, what);
  }

  /** Checks a TTL in milliseconds: 1..{@link #MAX_MS}, or {@link #NONE}. */
  public static long check(long ms, String what) {
    if (ms != NONE && (ms < 1 || ms > MAX_MS)) {
      throw new KvException(ErrorCode.MALFORMED_REQUEST, what + " must be within 1.." + MAX_MS + " ms, got " + ms);
    }
    return ms;
  }

  /** The deadline of a TTL given at {@code stampMs}; {@link #NONE} for none. */
  public static long deadline(long stampMs, long ttlMs) {
    return ttlMs == NONE ? NONE : stampMs + ttlMs;
  }

  /** Whether a record with deadline {@code expiresAtMs} is past it at {@code nowMs}: expired at its deadline. */
  public static boolean expired(long expiresAtMs, long nowMs) {
    return expiresAtMs != NONE && expiresAtMs <= nowMs;
  }

  private static KvException bad(String what, String text, String why) {
    return new KvException(ErrorCode.MALFORMED_REQUEST, what + " '" + text + "' " + why);
  }
}
