package io.kvpipe.proxy.resp;

import io.kvpipe.common.Limits;
import io.kvpipe.proxy.kv.ScanApi;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * {@code SCAN cursor [MATCH pattern] [COUNT n] [TYPE type]} over the HTTP scan's machinery ({@link ScanApi}: every
 * group read linearizably a page at a time and merged in key order, no key missed or returned twice across a
 * migration). MATCH takes a literal key or a literal prefix followed by one {@code *}: the pattern is a key range, so
 * only matching keys are read. COUNT (default 10, at most 1000) is the most keys one reply carries. Keys come in key
 * order, and a reply may carry none while the cursor is not 0.
 */
final class RespScan {
  private static final int DEFAULT_COUNT = 10;

  private final ScanApi scans;
  private final ScanCursors cursors;

  RespScan(ScanApi scans, ScanCursors cursors) {
    this.scans = scans;
    this.cursors = cursors;
  }

  RespCommands.Call prepare(List<byte[]> args) {
    if (args.size() < 2 || args.size() % 2 != 0) {
      throw args.size() < 2 ? RespException.arity("SCAN") : RespException.syntax();
    }
    Long cursor = parseCursor(args.get(1));
    byte[] start = new byte[0];
    byte[] end = null;
    boolean nothing = false;
    int count = DEFAULT_COUNT;
    for (int i = 2; i < args.size(); i += 2) {
      String opt = RespCommands.upper(args.get(i));
      byte[] val = args.get(i + 1);
      switch (opt) {
        case "MATCH" -> {
          Range r = range(val);
          start = r.start();
          end = r.end();
          nothing |= r.empty();
        }
        case "COUNT" -> {
          long n = RespArgs.integer(val, "value is not an integer or out of range");
          if (n < 1) {
            throw RespException.syntax();
          }
          count = (int) Math.min(ScanApi.MAX_LIMIT, n);
        }
        case "TYPE" -> nothing |= !new String(val, StandardCharsets.UTF_8).equalsIgnoreCase("string");
        default -> throw RespException.syntax();
      }
    }
    byte[] from;
    if (cursor == 0) {
      from = start;
    } else {
      byte[] held = cursors.get(cursor);
      if (held == null) {
        throw RespException.err("invalid cursor (unknown to this proxy or expired: a SCAN cursor is valid on the"
            + " proxy that returned it, for 10 minutes)");
      }
      from = Arrays.compareUnsigned(held, start) < 0 ? start : held;
    }
    if (nothing || (end != null && Arrays.compareUnsigned(from, end) >= 0)) {
      return new RespCommands.Call(null, () -> CompletableFuture.completedFuture(reply(null, List.of())));
    }
    byte[] s = start;
    byte[] e = end;
    int n = count;
    return new RespCommands.Call(null, () -> scans.pageAsync(s, e, from, n, false, System.nanoTime())
        .thenApply(page -> {
          List<RespValue> keys = new ArrayList<>(page.items().size());
          page.items().forEach(item -> keys.add(new RespValue.Bulk(item.key())));
          return reply(page.resumeFrom(), keys);
        }));
  }

  private RespValue reply(byte[] resumeFrom, List<RespValue> keys) {
    String next = resumeFrom == null ? "0" : Long.toUnsignedString(cursors.put(resumeFrom));
    return new RespValue.Array(List.of(RespValue.bulk(next), new RespValue.Array(keys)));
  }

  private static Long parseCursor(byte[] raw) {
    try {
      long c = Long.parseUnsignedLong(new String(raw, StandardCharsets.US_ASCII));
      return c;
    } catch (NumberFormatException e) {
      throw RespException.err("invalid cursor");
    }
  }

  /** The key range of a MATCH pattern: [start, end), end null = unbounded; empty when no key can match. */
  record Range(byte[] start, byte[] end, boolean empty) {}

  static Range range(byte[] pattern) {
    int star = -1;
    for (int i = 0; i < pattern.length; i++) {
      byte b = pattern[i];
      if (b == '*' && i == pattern.length - 1) {
        star = i;
      } else if (b == '*' || b == '?' || b == '[' || b == '\\') {
        throw RespException.err("MATCH takes a literal key or a literal prefix followed by '*' (e.g. user:*);"
            + " other glob patterns are not supported");
      }
    }
    byte[] literal = star < 0 ? pattern : Arrays.copyOf(pattern, star);
    if (literal.length > Limits.MAX_KEY_BYTES || (star < 0 && literal.length == 0)) {
      return new Range(new byte[0], null, true);
    }
    if (star < 0) {
      return new Range(literal, Arrays.copyOf(literal, literal.length + 1), false);
    }
    return new Range(literal, literal.length == 0 ? null : ScanApi.prefixEnd(literal), false);
  }
}
