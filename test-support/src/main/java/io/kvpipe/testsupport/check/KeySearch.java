package io.kvpipe.testsupport.check;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Whether one key's operations are linearizable: Wing and Gong's search with Lowe's memo, as porcupine runs it. The
 * calls and returns form a time-ordered list; an operation may be linearized next if it was called before the first
 * return still in the list. Linearizing one takes its call and return out of the list (dancing links, so undoing it is
 * O(1)); a dead end undoes the last one and tries the next candidate. The memo keeps every (set of linearized
 * operations, register state) reached: reaching one again cannot lead anywhere new.
 *
 * <p>A write of unknown outcome has no return: it may be linearized at any point after its call, or never (it did
 * not happen). The search is done when every other operation is placed. Candidates of known outcome are tried before
 * unknown ones: most unknown writes need not be placed to explain what was seen. Two facts keep unknown writes from
 * multiplying the search (each is exact, not a heuristic):
 * <ul>
 *   <li>a put whose value some read returned did happen, before that read returned: it is placed like an operation of
 *   known outcome whose return is the earliest such read's;
 *   <li>the other unknown writes are interchangeable when they do the same thing (same kind and condition; a put's
 *   value nobody read is the same unseen value), and each stays available from its call on: of such a class, only the
 *   earliest-called one not yet placed is ever a candidate.
 * </ul>
 */
final class KeySearch {
  private final String key;
  private final Op[] ops;
  private final int[] valueIds;
  private final List<String> values = new ArrayList<>();
  /** Optional: an unknown write that may never have happened (not required by any read). */
  private final boolean[] unknown;
  /** For optional writes: the class of writes that do the same thing. */
  private final int[] sameAs;
  /** The time by which each op was done: its return, or for an unknown put some read saw, that read's return. */
  private final long[] done;
  private final int classCount;
  private final Entry head = new Entry(-1, false);
  private final long budget;
  /** The value id of every put whose value no read returned (index 0 of {@code values}): they are alike. */
  private static final int UNSEEN = 0;

  private static final class Entry {
    final int op;
    final boolean call;
    Entry prev;
    Entry next;
    /** A call's return entry (null for an operation of unknown outcome). */
    Entry match;

    Entry(int op, boolean call) {
      this.op = op;
      this.call = call;
    }
  }

  private static final class Frame {
    Entry entry;
    RegisterState before;
    int pass;
    int branch;
    int hiBefore;
  }

  /** A memo key: the required operations linearized ([0, hi) minus holes, optional ones aside) and the state. */
  private record Memo(int hi, int[] holes, RegisterState state, int hash) {
    Memo(int hi, int[] holes, RegisterState state) {
      this(hi, holes, state, (31 * hi + Arrays.hashCode(holes)) * 31 + state.hashCode());
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Memo m && m.hash == hash && m.hi == hi && Arrays.equals(m.holes, holes)
          && m.state.equals(state);
    }

    @Override
    public int hashCode() {
      return hash;
    }
  }

  /** @param keyOps the key's relevant operations (see {@link Op#relevant()}) */
  KeySearch(String key, List<Op> keyOps, long budget) {
    this.key = key;
    this.budget = budget;
    this.ops = keyOps.stream().sorted(Comparator.comparingLong(Op::call).thenComparingLong(Op::id)).toArray(Op[]::new);
    this.valueIds = new int[ops.length];
    this.unknown = new boolean[ops.length];
    this.sameAs = new int[ops.length];
    this.done = new long[ops.length];
    Map<String, Long> firstSeen = new HashMap<>();
    for (Op op : ops) {
      if (op.kind() == Op.Kind.GET && op.found()) {
        firstSeen.merge(op.value(), op.ret(), Math::min);
      }
    }
    Map<String, Integer> ids = new HashMap<>();
    Map<List<Long>, Integer> classes = new HashMap<>();
    values.add("(a value no read returned)");
    for (int i = 0; i < ops.length; i++) {
      Op op = ops[i];
      done[i] = op.ret();
      String v = op.kind() == Op.Kind.DELETE ? null : op.value();
      Long seen = v == null ? null : firstSeen.get(v);
      if (op.outcome() == Op.Outcome.UNKNOWN) {
        if (op.kind() == Op.Kind.PUT && seen != null) {
          done[i] = seen;
        } else {
          unknown[i] = true;
          sameAs[i] = classes.computeIfAbsent(List.of((long) op.kind().ordinal(), op.expected()),
              c -> classes.size());
        }
      }
      if (v == null) {
        valueIds[i] = RegisterState.NO_VALUE;
      } else if (op.kind() == Op.Kind.PUT && seen == null) {
        valueIds[i] = UNSEEN;
      } else {
        valueIds[i] = ids.computeIfAbsent(v, x -> {
          values.add(x);
          return values.size() - 1;
        });
      }
    }
    this.classCount = classes.size();
    link();
  }

  /** The time-ordered list; at equal times a call goes first (the two operations are then taken as concurrent). */
  private void link() {
    List<Entry> entries = new ArrayList<>(2 * ops.length);
    List<long[]> order = new ArrayList<>(2 * ops.length);
    for (int i = 0; i < ops.length; i++) {
      Entry c = new Entry(i, true);
      entries.add(c);
      order.add(new long[] {ops[i].call(), 0, i});
      if (!unknown[i]) {
        c.match = new Entry(i, false);
        entries.add(c.match);
        order.add(new long[] {done[i], 1, i});
      }
    }
    Integer[] idx = new Integer[entries.size()];
    for (int i = 0; i < idx.length; i++) {
      idx[i] = i;
    }
    Arrays.sort(idx, Comparator.<Integer>comparingLong(i -> order.get(i)[0]).thenComparingLong(i -> order.get(i)[1])
        .thenComparingLong(i -> order.get(i)[2]));
    Entry last = head;
    for (Integer i : idx) {
      Entry e = entries.get(i);
      last.next = e;
      e.prev = last;
      last = e;
    }
  }

  private static void lift(Entry call) {
    call.prev.next = call.next;
    if (call.next != null) {
      call.next.prev = call.prev;
    }
    Entry ret = call.match;
    if (ret != null) {
      ret.prev.next = ret.next;
      if (ret.next != null) {
        ret.next.prev = ret.prev;
      }
    }
  }

  private static void unlift(Entry call) {
    Entry ret = call.match;
    if (ret != null) {
      ret.prev.next = ret;
      if (ret.next != null) {
        ret.next.prev = ret;
      }
    }
    call.prev.next = call;
    if (call.next != null) {
      call.next.prev = call;
    }
  }

  KeyResult run() {
    long started = System.nanoTime();
    int knownLeft = 0;
    for (boolean u : unknown) {
      knownLeft += u ? 0 : 1;
    }
    Map<Memo, List<int[]>> memo = new HashMap<>();
    int[] placed = new int[classCount];
    Frame[] stack = new Frame[ops.length];
    int depth = 0;
    int hi = 0;
    RegisterState state = RegisterState.INITIAL;
    Entry cursor = head.next;
    int pass = 0;
    int branch = 0;
    long steps = 0;
    int bestDepth = -1;
    int[] bestPath = new int[0];
    RegisterState bestState = state;
    int bestBlocker = -1;
    while (true) {
      if (knownLeft == 0) {
        return KeyResult.linearizable(key, ops.length, steps, System.nanoTime() - started);
      }
      boolean advanced = false;
      scan:
      while (pass < 2) {
        long classesTried = pass == 1 ? classesBefore(cursor) : 0;
        for (Entry e = cursor; e != null && e.call; e = e.next, branch = 0) {
          if (unknown[e.op] != (pass == 1)) {
            continue;
          }
          if (pass == 1) {
            long bit = classBit(e.op);
            if (bit != 0 && (classesTried & bit) != 0) {
              continue; // an earlier write of its class is unplaced: that one stands for it
            }
            classesTried |= bit;
          }
          RegisterState[] next = state.step(ops[e.op], valueIds[e.op]);
          for (int b = branch; b < next.length; b++) {
            if (++steps > budget) {
              return KeyResult.inconclusive(key, ops.length, steps, System.nanoTime() - started,
                  "gave up after " + budget + " steps at depth " + depth + " of " + ops.length);
            }
            int newHi = unknown[e.op] ? hi : Math.max(hi, e.op + 1);
            lift(e);
            if (unknown[e.op]) {
              placed[sameAs[e.op]]++;
            }
            if (remember(memo, new Memo(newHi, holes(newHi), next[b]), placed)) {
              Frame f = stack[depth] == null ? (stack[depth] = new Frame()) : stack[depth];
              depth++;
              f.entry = e;
              f.before = state;
              f.pass = pass;
              f.branch = b;
              f.hiBefore = hi;
              hi = newHi;
              state = next[b];
              knownLeft -= unknown[e.op] ? 0 : 1;
              advanced = true;
              break scan;
            }
            if (unknown[e.op]) {
              placed[sameAs[e.op]]--;
            }
            unlift(e);
          }
        }
        pass++;
        cursor = head.next;
        branch = 0;
      }
      if (advanced) {
        cursor = head.next;
        pass = 0;
        branch = 0;
        continue;
      }
      if (depth > bestDepth) {
        bestDepth = depth;
        bestPath = new int[depth];
        for (int i = 0; i < depth; i++) {
          bestPath[i] = stack[i].entry.op;
        }
        bestState = state;
        bestBlocker = firstReturn();
      }
      if (depth == 0) {
        return KeyResult.violation(key, ops.length, steps, System.nanoTime() - started,
            explain(bestPath, bestState, bestBlocker));
      }
      Frame f = stack[--depth];
      unlift(f.entry);
      if (unknown[f.entry.op]) {
        placed[sameAs[f.entry.op]]--;
      }
      state = f.before;
      hi = f.hiBefore;
      knownLeft += unknown[f.entry.op] ? 0 : 1;
      cursor = f.entry;
      pass = f.pass;
      branch = f.branch + 1;
    }
  }

  /**
   * Records reaching (required ops placed, state) with {@code placed} optional writes per class; false if that was
   * reached before with no more of each class placed. Such a node can do nothing this one cannot: every optional write
   * still open here is open there too, or one of its class called no later is. A failed node stays failed, and one on
   * the current path is being explored.
   */
  private static boolean remember(Map<Memo, List<int[]>> memo, Memo key, int[] placed) {
    List<int[]> seen = memo.computeIfAbsent(key, k -> new ArrayList<>(1));
    for (int[] other : seen) {
      boolean noMore = true;
      for (int i = 0; i < other.length && noMore; i += 2) {
        noMore = other[i + 1] <= placed[other[i]];
      }
      if (noMore) {
        return false;
      }
    }
    int n = 0;
    for (int c : placed) {
      n += c == 0 ? 0 : 1;
    }
    int[] sparse = new int[2 * n];
    for (int c = 0, i = 0; c < placed.length; c++) {
      if (placed[c] != 0) {
        sparse[i++] = c;
        sparse[i++] = placed[c];
      }
    }
    seen.add(sparse);
    return true;
  }

  /** The required operations not linearized below {@code hi}: their calls are still in the list, in op order. */
  private int[] holes(int hi) {
    int n = 0;
    for (Entry e = head.next; e != null; e = e.next) {
      if (e.call) {
        if (e.op >= hi) {
          break;
        }
        n += unknown[e.op] ? 0 : 1;
      }
    }
    int[] out = new int[n];
    int i = 0;
    for (Entry e = head.next; e != null && i < n; e = e.next) {
      if (e.call && !unknown[e.op]) {
        out[i++] = e.op;
      }
    }
    return out;
  }

  /**
   * The bit of an optional write's class in a scan's set of classes tried, or 0 for a class past the 64th (never
   * skipped: slower, still exact).
   */
  private long classBit(int op) {
    return sameAs[op] < 64 ? 1L << sameAs[op] : 0;
  }

  /** The classes of the optional writes in the window before {@code cursor} (a scan resumed there skips them). */
  private long classesBefore(Entry cursor) {
    long tried = 0;
    for (Entry e = head.next; e != null && e != cursor && e.call; e = e.next) {
      if (unknown[e.op]) {
        tried |= classBit(e.op);
      }
    }
    return tried;
  }

  private int firstReturn() {
    for (Entry e = head.next; e != null; e = e.next) {
      if (!e.call) {
        return e.op;
      }
    }
    return -1;
  }

  /**
   * The longest linearization the search found and the operation it could not get past: the first to return of those
   * left, and what was concurrent with it.
   */
  private String explain(int[] path, RegisterState state, int blocker) {
    StringBuilder b = new StringBuilder();
    b.append("no linearization of ").append(ops.length).append(" ops; the longest placed ").append(path.length)
        .append(", ending in state ").append(state.describe(values)).append('\n');
    if (blocker >= 0) {
      b.append("  cannot place: ").append(ops[blocker].describe()).append('\n');
    }
    b.append("  last placed:\n");
    for (int i = Math.max(0, path.length - 8); i < path.length; i++) {
      b.append("    ").append(ops[path[i]].describe()).append('\n');
    }
    if (blocker >= 0) {
      Set<Integer> placed = new HashSet<>();
      for (int p : path) {
        placed.add(p);
      }
      b.append("  not placed, called before it returned:\n");
      int shown = 0;
      for (int i = 0; i < ops.length && shown < 12; i++) {
        if (!placed.contains(i) && i != blocker && ops[i].call() <= done[blocker]) {
          b.append("    ").append(ops[i].describe()).append('\n');
          shown++;
        }
      }
    }
    return b.toString();
  }
}
