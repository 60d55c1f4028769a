package io.kvpipe.testsupport.check;

import java.util.Objects;

/**
 * One client operation on one key as the client saw it: what it asked, when it asked ({@code call}) and when it had its
 * answer ({@code ret}), both from one monotonic clock, and what the answer was. The values a workload writes are unique
 * per write, so a read's value names the write it saw.
 *
 * @param expected for a write: {@link #ANY} (unconditional), {@link #NONE} ({@code If-None-Match: *}: only if absent)
 *     or a version ({@code If-Match}); ignored for reads
 * @param value the value written (put) or read (get, when found); null otherwise
 * @param found for a get answered {@link Outcome#OK}: whether the key had a live value
 * @param version the version a successful write was given, or that a found read returned
 * @param flag a successful put's "created" (the key had no live value) or delete's "existed"; null when not known
 * @param ret the return time; ignored for {@link Outcome#UNKNOWN} (its effect may land at any time after the call)
 * @param note free text for reports (an HTTP status, an error code)
 */
public record Op(long id, int client, String key, Kind kind, long expected, String value, Outcome outcome,
                 boolean found, long version, Boolean flag, long call, long ret, String note) {
  public static final long ANY = -1;
  public static final long NONE = 0;

  public enum Kind { GET, PUT, DELETE }

  public enum Outcome {
    /** Done, with the answer recorded. */
    OK,
    /** A conditional write refused because its expected version did not match: it happened, as a no-op. */
    MISMATCH,
    /** Refused before it could take effect (a malformed or oversized request, a conflict): it did not happen. */
    FAILED,
    /** No answer, or one that does not say whether it was applied (timeout, no leader): may or may not have happened. */
    UNKNOWN
  }

  public Op {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(outcome, "outcome");
    if (kind == Kind.PUT && value == null) {
      throw new IllegalArgumentException("a put needs its value (op " + id + ")");
    }
    if (outcome != Outcome.UNKNOWN && ret < call) {
      throw new IllegalArgumentException("op " + id + " returns before it is called");
    }
    if (kind == Kind.GET && outcome == Outcome.MISMATCH) {
      throw new IllegalArgumentException("a get cannot be refused for a version mismatch (op " + id + ")");
    }
  }

  public boolean write() {
    return kind != Kind.GET;
  }

  /** Whether the checker must place it (a read with no answer and a refused write carry nothing to check). */
  boolean relevant() {
    return switch (outcome) {
      case OK, MISMATCH -> true;
      case UNKNOWN -> write();
      case FAILED -> false;
    };
  }

  public static Op get(long id, int client, String key, long call, long ret, boolean found, String value,
                       long version) {
    return new Op(id, client, key, Kind.GET, ANY, found ? value : null, Outcome.OK, found, found ? version : 0, null,
        call, ret, null);
  }

  public static Op put(long id, int client, String key, long expected, String value, long call, long ret,
                       Outcome outcome, long version, Boolean created) {
    return new Op(id, client, key, Kind.PUT, expected, value, outcome, false, version, created, call, ret, null);
  }

  public static Op delete(long id, int client, String key, long expected, long call, long ret, Outcome outcome,
                          long version, Boolean existed) {
    return new Op(id, client, key, Kind.DELETE, expected, null, outcome, false, version, existed, call, ret, null);
  }

  /** A short description for reports. */
  public String describe() {
    StringBuilder b = new StringBuilder().append('#').append(id).append(" c").append(client).append(' ');
    b.append(kind.name().toLowerCase());
    if (write() && expected != ANY) {
      b.append(expected == NONE ? " if-absent" : " if-v" + expected);
    }
    if (kind == Kind.PUT) {
      b.append(' ').append(value);
    }
    b.append(" -> ");
    switch (outcome) {
      case OK -> {
        if (kind == Kind.GET) {
          b.append(found ? value + "@v" + version : "absent");
        } else {
          b.append("v").append(version).append(flag == null ? "" : kind == Kind.PUT
              ? (flag ? " created" : " updated") : (flag ? " existed" : " absent"));
        }
      }
      case MISMATCH -> b.append("412");
      case FAILED -> b.append("failed");
      case UNKNOWN -> b.append("unknown");
    }
    if (note != null) {
      b.append(" (").append(note).append(')');
    }
    b.append(" [").append(call).append(", ").append(outcome == Outcome.UNKNOWN ? "inf" : Long.toString(ret))
        .append(']');
    return b.toString();
  }
}
