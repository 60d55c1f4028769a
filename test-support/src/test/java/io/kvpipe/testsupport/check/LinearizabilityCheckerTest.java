package io.kvpipe.testsupport.check;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.testsupport.check.KeyResult.Verdict;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LinearizabilityCheckerTest {
  private static final long INF = Long.MAX_VALUE;

  /** A one-key history written as a script; times are small integers. */
  private static final class H {
    private final List<Op> ops = new ArrayList<>();

    H put(int client, String value, long call, long ret, long version) {
      return put(client, Op.ANY, value, call, ret, Op.Outcome.OK, version, null);
    }

    H put(int client, long expected, String value, long call, long ret, Op.Outcome outcome, long version,
          Boolean created) {
      ops.add(Op.put(ops.size(), client, "k", expected, value, call, ret == INF ? call : ret, outcome, version,
          created));
      return this;
    }

    H putUnknown(int client, long expected, String value, long call) {
      return put(client, expected, value, call, INF, Op.Outcome.UNKNOWN, 0, null);
    }

    H delete(int client, long expected, long call, long ret, Op.Outcome outcome, long version, Boolean existed) {
      ops.add(Op.delete(ops.size(), client, "k", expected, call, ret == INF ? call : ret, outcome, version,
          existed));
      return this;
    }

    H get(int client, long call, long ret, String value, long version) {
      ops.add(Op.get(ops.size(), client, "k", call, ret, true, value, version));
      return this;
    }

    H getAbsent(int client, long call, long ret) {
      ops.add(Op.get(ops.size(), client, "k", call, ret, false, null, 0));
      return this;
    }

    Verdict verdict() {
      LinearizabilityChecker.Report r = new LinearizabilityChecker().check(ops);
      if (!r.violations().isEmpty()) {
        System.out.println(r.violations().get(0).explanation());
        return Verdict.VIOLATION;
      }
      return r.inconclusive().isEmpty() ? Verdict.LINEARIZABLE : Verdict.INCONCLUSIVE;
    }
  }

  @Test
  void sequentialHistoryIsLinearizable() {
    assertThat(new H().getAbsent(0, 0, 1).put(0, "a", 2, 3, 10).get(1, 4, 5, "a", 10)
        .delete(0, Op.ANY, 6, 7, Op.Outcome.OK, 20, true).getAbsent(1, 8, 9).put(1, "b", 10, 11, 30)
        .get(0, 12, 13, "b", 30).verdict()).isEqualTo(Verdict.LINEARIZABLE);
  }

  @Test
  void staleReadIsAViolation() {
    assertThat(new H().put(0, "a", 0, 1, 10).put(0, "b", 2, 3, 20).get(1, 4, 5, "a", 10).verdict())
        .isEqualTo(Verdict.VIOLATION);
  }

  @Test
  void lostWriteIsAViolation() {
    assertThat(new H().put(0, "a", 0, 1, 10).getAbsent(1, 2, 3).verdict()).isEqualTo(Verdict.VIOLATION);
  }

  @Test
  void resurrectedDeleteIsAViolation() {
    assertThat(new H().put(0, "a", 0, 1, 10).delete(0, Op.ANY, 2, 3, Op.Outcome.OK, 20, true)
        .get(1, 4, 5, "a", 10).verdict()).isEqualTo(Verdict.VIOLATION);
  }

  @Test
  void readOfAValueNeverWrittenIsAViolation() {
    assertThat(new H().put(0, "a", 0, 1, 10).get(1, 2, 3, "zzz", 10).verdict()).isEqualTo(Verdict.VIOLATION);
  }

  @Test
  void readWithTheRightValueButAnotherVersionIsAViolation() {
    assertThat(new H().put(0, "a", 0, 1, 10).get(1, 2, 3, "a", 11).verdict()).isEqualTo(Verdict.VIOLATION);
  }

  @Test
  void versionsMustIncrease() {
    assertThat(new H().put(0, "a", 0, 1, 10).put(0, "b", 2, 3, 10).verdict()).isEqualTo(Verdict.VIOLATION);
    assertThat(new H().put(0, "a", 0, 1, 10).delete(0, Op.ANY, 2, 3, Op.Outcome.OK, 5, true).verdict())
        .isEqualTo(Verdict.VIOLATION);
  }

  @Test
  void casThatShouldHaveFailedIsAViolation() {
    assertThat(new H().put(0, "a", 0, 1, 10).put(0, "b", 2, 3, 20)
        .put(1, 10, "c", 4, 5, Op.Outcome.OK, 30, false).verdict()).isEqualTo(Verdict.VIOLATION);
    // The same CAS concurrent with the write that made it stale may go first.
    assertThat(new H().put(0, "a", 0, 1, 10).put(0, "b", 2, 6, 40)
        .put(1, 10, "c", 3, 5, Op.Outcome.OK, 30, false).verdict()).isEqualTo(Verdict.LINEARIZABLE);
  }

  @Test
  void casRefusedThatShouldHaveSucceededIsAViolation() {
    assertThat(new H().put(0, "a", 0, 1, 10).put(1, 10, "c", 2, 3, Op.Outcome.MISMATCH, 0, null).verdict())
        .isEqualTo(Verdict.VIOLATION);
    assertThat(new H().put(0, "a", 0, 1, 10).delete(1, 10, 2, 3, Op.Outcome.MISMATCH, 0, null).verdict())
        .isEqualTo(Verdict.VIOLATION);
    // Refused, with a write concurrent: fine.
    assertThat(new H().put(0, "a", 0, 1, 10).put(2, "b", 2, 5, 20)
        .put(1, 10, "c", 3, 4, Op.Outcome.MISMATCH, 0, null).verdict()).isEqualTo(Verdict.LINEARIZABLE);
  }

  @Test
  void createOnlyPutsAndTheirRefusals() {
    assertThat(new H().put(0, Op.NONE, "a", 0, 1, Op.Outcome.OK, 10, true).verdict())
        .isEqualTo(Verdict.LINEARIZABLE);
    assertThat(new H().put(0, Op.NONE, "a", 0, 1, Op.Outcome.OK, 10, true)
        .put(1, Op.NONE, "b", 2, 3, Op.Outcome.OK, 20, true).verdict()).isEqualTo(Verdict.VIOLATION);
    assertThat(new H().put(0, Op.NONE, "a", 0, 1, Op.Outcome.MISMATCH, 0, null).verdict())
        .isEqualTo(Verdict.VIOLATION);
    // After a delete the key may be created again.
    assertThat(new H().put(0, "a", 0, 1, 10).delete(0, Op.ANY, 2, 3, Op.Outcome.OK, 20, true)
        .put(1, Op.NONE, "b", 4, 5, Op.Outcome.OK, 30, true).verdict()).isEqualTo(Verdict.LINEARIZABLE);
  }

  @Test
  void createdAndExistedFlagsAreChecked() {
    assertThat(new H().put(0, Op.ANY, "a", 0, 1, Op.Outcome.OK, 10, true)
        .put(0, Op.ANY, "b", 2, 3, Op.Outcome.OK, 20, true).verdict()).isEqualTo(Verdict.VIOLATION);
    assertThat(new H().delete(0, Op.ANY, 0, 1, Op.Outcome.OK, 10, true).verdict()).isEqualTo(Verdict.VIOLATION);
    assertThat(new H().delete(0, Op.ANY, 0, 1, Op.Outcome.OK, 10, false).verdict())
        .isEqualTo(Verdict.LINEARIZABLE);
  }

  @Test
  void concurrentWritesMayBeSeenInEitherOrderButVersionsFixIt() {
    // Two overlapping puts; a later read sees b: fine whatever the order.
    assertThat(new H().put(0, "a", 0, 10, 10).put(1, "b", 1, 9, 20).get(2, 11, 12, "b", 20).verdict())
        .isEqualTo(Verdict.LINEARIZABLE);
    // Reads during them see b then a: b went first, but a's version is the lower one.
    assertThat(new H().put(0, "a", 0, 10, 10).put(1, "b", 1, 9, 20).get(2, 2, 3, "b", 20).get(2, 4, 5, "a", 10)
        .verdict()).isEqualTo(Verdict.VIOLATION);
    // With versions that agree, b then a is a legal order.
    assertThat(new H().put(0, "a", 0, 10, 20).put(1, "b", 1, 9, 10).get(2, 2, 3, "b", 10).get(2, 4, 5, "a", 20)
        .verdict()).isEqualTo(Verdict.LINEARIZABLE);
  }

  @Test
  void concurrentReadsMustAgreeOnOneOrder() {
    // One read finished seeing the new value before another started, which saw the old one.
    assertThat(new H().put(0, "a", 0, 1, 10).put(1, "b", 2, 20, 20).get(2, 3, 4, "b", 20).get(3, 5, 6, "a", 10)
        .verdict()).isEqualTo(Verdict.VIOLATION);
    // Overlapping reads may disagree.
    assertThat(new H().put(0, "a", 0, 1, 10).put(1, "b", 2, 20, 20).get(2, 3, 8, "b", 20).get(3, 5, 6, "a", 10)
        .verdict()).isEqualTo(Verdict.LINEARIZABLE);
  }

  @Test
  void unknownWriteMayExplainARead() {
    assertThat(new H().put(0, "a", 0, 1, 10).putUnknown(1, Op.ANY, "b", 2).get(2, 5, 6, "b", 20).verdict())
        .isEqualTo(Verdict.LINEARIZABLE);
    // ...long after it was sent, and after other reads saw the old value.
    assertThat(new H().put(0, "a", 0, 1, 10).putUnknown(1, Op.ANY, "b", 2).get(2, 3, 4, "a", 10)
        .get(2, 50, 51, "b", 20).verdict()).isEqualTo(Verdict.LINEARIZABLE);
    // An unknown delete explains a missing key.
    assertThat(new H().put(0, "a", 0, 1, 10).delete(1, Op.ANY, 2, INF, Op.Outcome.UNKNOWN, 0, null)
        .getAbsent(2, 3, 4).verdict()).isEqualTo(Verdict.LINEARIZABLE);
  }

  @Test
  void unknownWriteMayNotHaveHappened() {
    assertThat(new H().put(0, "a", 0, 1, 10).putUnknown(1, Op.ANY, "b", 2).get(2, 5, 6, "a", 10).verdict())
        .isEqualTo(Verdict.LINEARIZABLE);
  }

  @Test
  void unknownWriteCannotExplainWhatCannotBe() {
    // A read that returned before the write was sent.
    assertThat(new H().put(0, "a", 0, 1, 10).get(2, 2, 3, "b", 20).putUnknown(1, Op.ANY, "b", 4).verdict())
        .isEqualTo(Verdict.VIOLATION);
    // It happened (b was seen), so the old value cannot come back.
    assertThat(new H().put(0, "a", 0, 1, 10).putUnknown(1, Op.ANY, "b", 2).get(2, 3, 4, "b", 20)
        .get(2, 5, 6, "a", 10).verdict()).isEqualTo(Verdict.VIOLATION);
    // A later acknowledged write must have a higher version than the unknown one that was seen.
    assertThat(new H().put(0, "a", 0, 1, 10).putUnknown(1, Op.ANY, "b", 2).get(2, 3, 4, "b", 20)
        .put(0, "c", 5, 6, 15).verdict()).isEqualTo(Verdict.VIOLATION);
    // An unknown CAS whose condition could not hold cannot explain its value.
    assertThat(new H().put(0, "a", 0, 1, 10).putUnknown(1, 99, "b", 2).get(2, 3, 4, "b", 20).verdict())
        .isEqualTo(Verdict.VIOLATION);
  }

  @Test
  void unknownWriteExplainsARefusal() {
    // The key was absent, so only the unknown put can have made the create-only put fail.
    assertThat(new H().putUnknown(0, Op.ANY, "a", 0).put(1, Op.NONE, "b", 2, 3, Op.Outcome.MISMATCH, 0, null)
        .verdict()).isEqualTo(Verdict.LINEARIZABLE);
    // ...or a put's "updated" flag.
    assertThat(new H().putUnknown(0, Op.ANY, "a", 0).put(1, Op.ANY, "b", 2, 3, Op.Outcome.OK, 20, false)
        .verdict()).isEqualTo(Verdict.LINEARIZABLE);
  }

  @Test
  void refusedCasTellsWhatAnUnknownWritesVersionIsNot() {
    // a (unknown) must precede the refused create-only put; the refused If-Match 7 then says a's version is not 7.
    H base = new H().putUnknown(0, Op.ANY, "a", 0).put(1, Op.NONE, "b", 1, 2, Op.Outcome.MISMATCH, 0, null)
        .put(1, 7, "c", 3, 4, Op.Outcome.MISMATCH, 0, null);
    assertThat(base.get(2, 5, 6, "a", 7).verdict()).isEqualTo(Verdict.VIOLATION);
    H other = new H().putUnknown(0, Op.ANY, "a", 0).put(1, Op.NONE, "b", 1, 2, Op.Outcome.MISMATCH, 0, null)
        .put(1, 7, "c", 3, 4, Op.Outcome.MISMATCH, 0, null);
    assertThat(other.get(2, 5, 6, "a", 8).verdict()).isEqualTo(Verdict.LINEARIZABLE);
  }

  @Test
  void failedWritesAndUnansweredReadsAreIgnored() {
    List<Op> ops = new ArrayList<>();
    ops.add(Op.put(0, 0, "k", Op.ANY, "a", 0, 1, Op.Outcome.OK, 10, true));
    ops.add(Op.put(1, 0, "k", Op.ANY, "b", 2, 3, Op.Outcome.FAILED, 0, null));
    ops.add(new Op(2, 1, "k", Op.Kind.GET, Op.ANY, null, Op.Outcome.UNKNOWN, false, 0, null, 4, 5, "timeout"));
    ops.add(Op.get(3, 1, "k", 6, 7, true, "a", 10));
    LinearizabilityChecker.Report r = new LinearizabilityChecker().check(ops);
    assertThat(r.linearizable()).isTrue();
    assertThat(r.opsChecked()).isEqualTo(2);
    assertThat(r.opsIgnored()).isEqualTo(2);
  }

  @Test
  void keysAreCheckedSeparately() {
    List<Op> ops = new ArrayList<>();
    ops.add(Op.put(0, 0, "x", Op.ANY, "a", 0, 1, Op.Outcome.OK, 10, true));
    ops.add(Op.put(1, 0, "y", Op.ANY, "b", 0, 1, Op.Outcome.OK, 10, true));
    ops.add(Op.get(2, 1, "y", 2, 3, true, "a", 10)); // x's value read on y
    LinearizabilityChecker.Report r = new LinearizabilityChecker().check(ops);
    assertThat(r.violations()).extracting(KeyResult::key).containsExactly("y");
    assertThat(r.violations().get(0).explanation()).contains("cannot place").contains("#2");
  }

  @Test
  void simulatedHistoriesAreLinearizable() {
    for (long seed = 1; seed <= 20; seed++) {
      SyntheticHistory.Shape shape = new SyntheticHistory.Shape(3_000, 8, 3, 50, 0.7, 0.4, 0.1, 0.3, 0.05);
      LinearizabilityChecker.Report r = new LinearizabilityChecker().check(SyntheticHistory.generate(shape, seed));
      assertThat(r.linearizable()).as("seed %d: %s %s", seed, r.summary(),
          r.violations().isEmpty() ? "" : r.violations().get(0).explanation()).isTrue();
    }
  }

  @Test
  void aReadTurnedStaleInASimulatedHistoryIsFound() {
    SyntheticHistory.Shape shape = new SyntheticHistory.Shape(3_000, 8, 3, 50, 0.7, 0.4, 0.1, 0.3, 0.0);
    List<Op> ops = new ArrayList<>(SyntheticHistory.generate(shape, 7));
    // Find a hot key's found read that comes well after an earlier, different value of the same key was read, and
    // make it return that older value: a stale read.
    int victim = -1;
    Op older = null;
    for (int i = ops.size() - 1; i >= 0 && victim < 0; i--) {
      Op r = ops.get(i);
      if (r.kind() != Op.Kind.GET || !r.found()) {
        continue;
      }
      for (Op o : ops) {
        if (o.key().equals(r.key()) && o.kind() == Op.Kind.PUT && o.outcome() == Op.Outcome.OK
            && o.version() < r.version() && o.ret() + 1_000 < r.call()) {
          victim = i;
          older = o;
          break;
        }
      }
    }
    assertThat(victim).isNotNegative();
    Op r = ops.get(victim);
    ops.set(victim, Op.get(r.id(), r.client(), r.key(), r.call(), r.ret(), true, older.value(), older.version()));
    LinearizabilityChecker.Report report = new LinearizabilityChecker().check(ops);
    assertThat(report.violations()).extracting(KeyResult::key).containsExactly(r.key());
  }
}
