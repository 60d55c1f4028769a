package io.kvpipe.testsupport.check;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;

/**
 * Linearizable histories made up by simulation, for the checker's tests and benchmark: {@code clients} clients, each
 * with one operation at a time, on a few hot keys and many cold ones. Each operation takes effect on a simulated
 * register at a random instant between its call and its return; versions come from one counter, so they strictly
 * increase per key (and, as with group commit, need not be consecutive). An operation reported as unknown was applied
 * or not at random, as a timeout's write may have been.
 */
public final class SyntheticHistory {
  private SyntheticHistory() {}

  /** The shape of a history. Fractions of operations: reads, deletes, conditional writes; the rest are plain puts. */
  public record Shape(int ops, int clients, int hotKeys, int coldKeys, double hotFraction, double readFraction,
                      double deleteFraction, double casFraction, double unknownFraction) {}

  public static Shape typical(int ops) {
    return new Shape(ops, 16, 10, 5_000, 0.5, 0.45, 0.1, 0.15, 0.01);
  }

  private record Event(long time, int kind, int client) {}

  public static List<Op> generate(Shape shape, long seed) {
    Random random = new Random(seed);
    Map<String, long[]> versions = new HashMap<>(); // key -> {version, live?1:0}
    Map<String, String> values = new HashMap<>();
    Map<String, Long> lastSeen = new HashMap<>(); // client/key -> version last seen (for CAS)
    PriorityQueue<Event> events = new PriorityQueue<>((a, b) -> Long.compare(a.time, b.time));
    Op[] pending = new Op[shape.clients()];
    boolean[] applyUnknown = new boolean[shape.clients()];
    List<Op> out = new ArrayList<>(shape.ops());
    long counter = 0;
    long id = 0;
    for (int c = 0; c < shape.clients(); c++) {
      events.add(new Event(random.nextInt(100), 0, c));
    }
    while (!events.isEmpty()) {
      Event ev = events.poll();
      int c = ev.client();
      if (ev.kind() == 0) { // call
        if (id >= shape.ops()) {
          continue;
        }
        String key = random.nextDouble() < shape.hotFraction() ? "hot" + random.nextInt(shape.hotKeys())
            : "cold" + random.nextInt(shape.coldKeys());
        double p = random.nextDouble();
        long expected = Op.ANY;
        Op.Kind kind;
        if (p < shape.readFraction()) {
          kind = Op.Kind.GET;
        } else if (p < shape.readFraction() + shape.deleteFraction()) {
          kind = Op.Kind.DELETE;
        } else {
          kind = Op.Kind.PUT;
        }
        if (kind != Op.Kind.GET && random.nextDouble() < shape.casFraction()) {
          Long seen = lastSeen.get(c + "/" + key);
          expected = seen == null ? (kind == Op.Kind.PUT ? Op.NONE : 1 + random.nextInt(5)) : seen;
        }
        String value = kind == Op.Kind.PUT ? "v" + id : null;
        pending[c] = new Op(id++, c, key, kind, expected, value, Op.Outcome.OK, false, 0, null, ev.time(), ev.time(), null);
        applyUnknown[c] = random.nextBoolean();
        events.add(new Event(ev.time() + 1 + random.nextInt(50), 1, c));
      } else if (ev.kind() == 1) { // takes effect
        Op op = pending[c];
        boolean unknown = op.write() && random.nextDouble() < shape.unknownFraction();
        long[] cur = versions.getOrDefault(op.key(), new long[] {0, 0});
        Op done;
        if (op.kind() == Op.Kind.GET) {
          boolean found = cur[1] == 1;
          done = Op.get(op.id(), c, op.key(), op.call(), op.call(), found, values.get(op.key()), cur[0]);
          if (found) {
            lastSeen.put(c + "/" + op.key(), cur[0]);
          }
        } else {
          long actual = cur[1] == 1 ? cur[0] : Op.NONE;
          boolean matches = op.expected() == Op.ANY || op.expected() == actual;
          if (unknown && !applyUnknown[c]) {
            done = withOutcome(op, Op.Outcome.UNKNOWN, 0, null);
          } else if (!matches) {
            done = withOutcome(op, unknown ? Op.Outcome.UNKNOWN : Op.Outcome.MISMATCH, 0, null);
          } else {
            long v = counter += 1 + random.nextInt(3);
            boolean wasLive = cur[1] == 1;
            versions.put(op.key(), new long[] {v, op.kind() == Op.Kind.PUT ? 1 : 0});
            values.put(op.key(), op.value());
            lastSeen.put(c + "/" + op.key(), v);
            done = unknown ? withOutcome(op, Op.Outcome.UNKNOWN, 0, null)
                : withOutcome(op, Op.Outcome.OK, v, op.kind() == Op.Kind.PUT ? !wasLive : wasLive);
          }
        }
        pending[c] = done;
        events.add(new Event(ev.time() + 1 + random.nextInt(50), 2, c));
      } else { // return
        Op op = pending[c];
        out.add(new Op(op.id(), c, op.key(), op.kind(), op.expected(), op.value(), op.outcome(), op.found(),
            op.version(), op.flag(), op.call(), ev.time(), null));
        events.add(new Event(ev.time() + random.nextInt(20), 0, c));
      }
    }
    return out;
  }

  private static Op withOutcome(Op op, Op.Outcome outcome, long version, Boolean flag) {
    return new Op(op.id(), op.client(), op.key(), op.kind(), op.expected(), op.value(), outcome, false, version, flag,
        op.call(), op.call(), null);
  }
}
