package io.kvpipe.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.wire.Command;
import io.kvpipe.common.wire.RejectedRequestException;
import io.kvpipe.common.wire.Reply;
import io.kvpipe.common.wire.Request;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The batching rules of group commit, against a transport the test completes by hand. */
class CoalescerTest {
  /** Every request the transport was given, with the future the test completes. */
  record Sent(Request request, CompletableFuture<Reply> reply) {}

  final List<Sent> sent = new ArrayList<>();

  Coalescer coalescer(int maxInFlight, int maxOps) {
    return coalescer(maxInFlight, maxOps, 1_000_000); // 1 s: longer than any of these tests looks
  }

  Coalescer coalescer(int maxInFlight, int maxOps, int gatherMicros) {
    return new Coalescer("g1", new GroupCommit(maxInFlight, maxOps, 1 << 20, gatherMicros), true,
        ops -> new Command.Batch(ops.stream().map(Command.class::cast).toList()),
        r -> {
          CompletableFuture<Reply> f = new CompletableFuture<>();
          synchronized (sent) {
            sent.add(new Sent(r, f));
          }
          return f;
        }, Duration.ofSeconds(10));
  }

  static Command.Put put(String k) {
    return Command.Put.unconditional(k.getBytes(StandardCharsets.UTF_8), new byte[] {1});
  }

  static CompletableFuture<Reply> submit(Coalescer c, String k) {
    Command.Put p = put(k);
    return c.submit(p, p.key(), p.key().length + 1, System.nanoTime() + TimeUnit.SECONDS.toNanos(10));
  }

  static CompletableFuture<Reply> submit(Coalescer c, String k, long deadlineNanos) {
    Command.Put p = put(k);
    return c.submit(p, p.key(), p.key().length + 1, deadlineNanos);
  }

  static String keyOf(Request r) {
    return new String(((Command.Put) r).key(), StandardCharsets.UTF_8);
  }

  @Test
  void aLoneOperationIsSentAtOnceAndAlone() {
    Coalescer c = coalescer(2, 100);
    CompletableFuture<Reply> f = submit(c, "a");
    assertThat(sent).hasSize(1);
    assertThat(sent.get(0).request()).isInstanceOf(Command.Put.class);
    sent.get(0).reply().complete(new Reply.Written(7, null));
    assertThat(f.join()).isEqualTo(new Reply.Written(7, null));
  }

  @Test
  void operationsArrivingWhileTheWindowIsFullLeaveTogetherWithTheirOwnReplies() {
    Coalescer c = coalescer(1, 100);
    CompletableFuture<Reply> first = submit(c, "a");
    List<CompletableFuture<Reply>> waiting = new ArrayList<>();
    for (String k : List.of("b", "c", "d")) {
      waiting.add(submit(c, k));
    }
    assertThat(sent).hasSize(1);
    sent.get(0).reply().complete(new Reply.Written(1, null));
    assertThat(first).isCompleted();
    assertThat(sent).hasSize(2);
    Command.Batch batch = (Command.Batch) sent.get(1).request();
    assertThat(batch.ops()).extracting(CoalescerTest::keyOf).containsExactly("b", "c", "d");
    sent.get(1).reply().complete(new Reply.Batch(List.of(new Reply.Written(2, null),
        new Reply.Failure(ErrorCode.VERSION_MISMATCH, "no"), new Reply.Written(2, null))));
    assertThat(waiting.get(0).join()).isEqualTo(new Reply.Written(2, null));
    assertThatThrownBy(waiting.get(1)::join).hasCauseInstanceOf(KvException.class)
        .cause().extracting(e -> ((KvException) e).code()).isEqualTo(ErrorCode.VERSION_MISMATCH);
    assertThat(waiting.get(2).join()).isEqualTo(new Reply.Written(2, null));
    assertThat(c.requestsSent()).isEqualTo(2);
    assertThat(c.operationsSent()).isEqualTo(4);
  }

  @Test
  void aKeyNeverAppearsTwiceInABatchAndItsWritesKeepTheirOrder() {
    Coalescer c = coalescer(1, 100);
    submit(c, "x");
    submit(c, "k");
    submit(c, "k");
    submit(c, "m");
    submit(c, "k");
    sent.get(0).reply().complete(new Reply.Written(1, null));
    assertThat(((Command.Batch) sent.get(1).request()).ops()).extracting(CoalescerTest::keyOf)
        .containsExactly("k", "m");
    sent.get(1).reply().complete(new Reply.Batch(List.of(new Reply.Written(2, null), new Reply.Written(2, null))));
    // The second and third write of k go one entry each, in the order they were submitted.
    assertThat(sent.get(2).request()).isInstanceOf(Command.Put.class);
    sent.get(2).reply().complete(new Reply.Written(3, null));
    assertThat(sent).hasSize(4);
    assertThat(keyOf(sent.get(3).request())).isEqualTo("k");
  }

  @Test
  void batchesRespectTheOperationBound() {
    Coalescer c = coalescer(1, 2);
    submit(c, "a");
    for (String k : List.of("b", "c", "d", "e", "f")) {
      submit(c, k);
    }
    sent.get(0).reply().complete(new Reply.Written(1, null));
    assertThat(((Command.Batch) sent.get(1).request()).ops()).hasSize(2);
    sent.get(1).reply().complete(new Reply.Batch(List.of(new Reply.Written(2, null), new Reply.Written(2, null))));
    assertThat(((Command.Batch) sent.get(2).request()).ops()).extracting(CoalescerTest::keyOf)
        .containsExactly("d", "e");
  }

  @Test
  void aBatchRefusedForOneOperationsFaultIsRetriedOneByOne() {
    Coalescer c = coalescer(1, 100);
    submit(c, "a");
    CompletableFuture<Reply> good = submit(c, "b");
    CompletableFuture<Reply> bad = submit(c, "c");
    sent.get(0).reply().complete(new Reply.Written(1, null));
    KvException refusal = new RejectedRequestException("VALUE_TOO_LARGE: value too big").toKvException();
    sent.get(1).reply().completeExceptionally(new CompletionException(refusal));
    assertThat(sent).hasSize(4);
    assertThat(sent.subList(2, 4)).extracting(s -> keyOf(s.request())).containsExactly("b", "c");
    sent.get(2).reply().complete(new Reply.Written(2, null));
    sent.get(3).reply().completeExceptionally(refusal);
    assertThat(good.join()).isEqualTo(new Reply.Written(2, null));
    assertThatThrownBy(bad::join).cause().isInstanceOfSatisfying(KvException.class,
        e -> assertThat(e.code()).isEqualTo(ErrorCode.VALUE_TOO_LARGE));
  }

  @Test
  void anAmbiguousFailureFailsEveryOperationOnceAndIsNeverResent() {
    Coalescer c = coalescer(1, 100);
    submit(c, "a");
    CompletableFuture<Reply> b = submit(c, "b");
    CompletableFuture<Reply> d = submit(c, "d");
    sent.get(0).reply().complete(new Reply.Written(1, null));
    sent.get(1).reply().completeExceptionally(new KvException(ErrorCode.TIMEOUT, "maybe applied"));
    assertThat(sent).hasSize(2);
    for (CompletableFuture<Reply> f : List.of(b, d)) {
      assertThatThrownBy(f::join).cause().isInstanceOfSatisfying(KvException.class,
          e -> assertThat(e.code()).isEqualTo(ErrorCode.TIMEOUT));
    }
  }

  /** A request that failed before the coalescer could attach to it fails its operation, not the submitting call. */
  @Test
  void aRequestAlreadyFailedWhenSentFailsItsOperationsThroughTheirFutures() {
    Coalescer c = new Coalescer("g1", new GroupCommit(1, 100, 1 << 20, 0), true,
        ops -> new Command.Batch(ops.stream().map(Command.class::cast).toList()),
        r -> CompletableFuture.failedFuture(new CompletionException(new KvException(ErrorCode.WRONG_GROUP, "moved"))),
        Duration.ofSeconds(10));
    CompletableFuture<Reply> f = submit(c, "a");
    assertThatThrownBy(f::join).cause().isInstanceOfSatisfying(KvException.class,
        e -> assertThat(e.code()).isEqualTo(ErrorCode.WRONG_GROUP));
    // The slot was given back: the next operation is sent (and fails) the same way.
    assertThatThrownBy(submit(c, "b")::join).cause().isInstanceOf(KvException.class);
  }

  @Test
  void anOperationWhoseCallerGaveUpIsNeverSent() {
    Coalescer c = coalescer(1, 100);
    submit(c, "a");
    CompletableFuture<Reply> late = submit(c, "late");
    CompletableFuture<Reply> live = submit(c, "live");
    late.orTimeout(1, TimeUnit.NANOSECONDS);
    assertThatThrownBy(late::join).isInstanceOf(CompletionException.class);
    sent.get(0).reply().complete(new Reply.Written(1, null));
    assertThat(sent).hasSize(2);
    assertThat(keyOf(sent.get(1).request())).isEqualTo("live");
    assertThat(live).isNotDone();
  }

  @Test
  void anOperationStillQueuedAtItsDeadlineIsNeverSentAndTimesOut() {
    Coalescer c = coalescer(1, 100);
    submit(c, "a");
    Command.Put p = put("expired");
    CompletableFuture<Reply> expired = c.submit(p, p.key(), p.key().length + 1, System.nanoTime());
    CompletableFuture<Reply> live = submit(c, "live");
    sent.get(0).reply().complete(new Reply.Written(1, null));
    assertThat(sent).hasSize(2);
    assertThat(keyOf(sent.get(1).request())).isEqualTo("live");
    assertThatThrownBy(expired::join).cause().isInstanceOfSatisfying(KvException.class,
        e -> assertThat(e.code()).isEqualTo(ErrorCode.TIMEOUT));
    assertThat(live).isNotDone();
  }

  static void assertTimedOut(CompletableFuture<Reply> f) {
    assertThatThrownBy(f::join).cause().isInstanceOfSatisfying(KvException.class,
        e -> assertThat(e.code()).isEqualTo(ErrorCode.TIMEOUT));
  }

  /** Polls, with a bound, until {@code nanoTime} passes {@code deadlineNanos}: time itself is what the test waits for. */
  static void untilPast(long deadlineNanos) {
    long bound = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (System.nanoTime() - deadlineNanos <= 0 && System.nanoTime() - bound < 0) {
      java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
    }
  }

  /**
   * Review finding 3: dead operations at the head of the queue (more than one drain scans, maxOps * 4, e.g. after a
   * leader outage) made the drain return nothing with nothing in flight, so the live operation behind them was never
   * sent until some later submit came, and timed out unsent.
   */
  @Test
  void aLiveOperationBehindMoreExpiredOnesThanADrainScansIsStillSent() {
    Coalescer c = coalescer(1, 2); // a drain looks at 8 operations it leaves queued
    submit(c, "first");
    List<CompletableFuture<Reply>> expired = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      expired.add(submit(c, "dead" + i, System.nanoTime())); // already past once it is drained
    }
    CompletableFuture<Reply> live = submit(c, "live");
    sent.get(0).reply().complete(new Reply.Written(1, null));
    assertThat(sentCount()).as("with nothing in flight, 'live' is sent").isEqualTo(2);
    assertThat(keyOf(sent.get(1).request())).isEqualTo("live");
    expired.forEach(CoalescerTest::assertTimedOut);
    sent.get(1).reply().complete(new Reply.Written(2, null));
    assertThat(live.join()).isEqualTo(new Reply.Written(2, null));
  }

  /**
   * Review finding 4a: a batch refused whole for one operation's fault was split and every operation sent again
   * alone, even one whose deadline had passed while the batch was in flight: its caller, told TIMEOUT, may have written
   * the key again since. It fails with TIMEOUT instead, unsent; the others are sent again.
   */
  @Test
  void aSplitBatchDoesNotSendAgainAnOperationWhoseDeadlinePassedInFlight() {
    Coalescer c = coalescer(1, 100);
    submit(c, "first");
    long soon = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500);
    CompletableFuture<Reply> late = submit(c, "a", soon);
    CompletableFuture<Reply> onTime = submit(c, "b");
    sent.get(0).reply().complete(new Reply.Written(1, null));
    assertThat(((Command.Batch) sent.get(1).request()).ops()).extracting(CoalescerTest::keyOf)
        .as("a left in time, in the batch").containsExactly("a", "b");
    untilPast(soon);
    sent.get(1).reply().completeExceptionally(
        new RejectedRequestException("VALUE_TOO_LARGE: value is too large").toKvException());
    assertThat(sent.subList(2, sentCount())).extracting(s -> keyOf(s.request()))
        .as("sent again alone after the split").containsExactly("b");
    assertTimedOut(late);
    sent.get(2).reply().complete(new Reply.Written(2, null));
    assertThat(onTime.join()).isEqualTo(new Reply.Written(2, null));
  }

  /**
   * Review finding 4a: an operation sent again alone had no timer, so with a caller that holds its own deadline (and
   * arms none on the operation) its future waited as long as the transport did. It fails with TIMEOUT at its deadline.
   */
  @Test
  void anOperationSentAgainAloneAfterASplitFailsAtItsDeadline() {
    Coalescer c = coalescer(1, 100);
    submit(c, "first");
    CompletableFuture<Reply> bad = submit(c, "a");
    CompletableFuture<Reply> unanswered = submit(c, "b", System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500));
    sent.get(0).reply().complete(new Reply.Written(1, null));
    sent.get(1).reply().completeExceptionally(
        new RejectedRequestException("VALUE_TOO_LARGE: value is too large").toKvException());
    assertThat(sent.subList(2, sentCount())).extracting(s -> keyOf(s.request())).containsExactly("a", "b");
    sent.get(2).reply().completeExceptionally(
        new RejectedRequestException("VALUE_TOO_LARGE: value is too large").toKvException());
    assertThatThrownBy(bad::join).cause().isInstanceOfSatisfying(KvException.class,
        e -> assertThat(e.code()).isEqualTo(ErrorCode.VALUE_TOO_LARGE));
    // The transport never answers b's resend: the timer ends it at b's deadline, well within this bound.
    assertThatThrownBy(() -> unanswered.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
        .cause().isInstanceOfSatisfying(KvException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.TIMEOUT));
  }

  /** Sends a lone write, then {@code keys} behind it, and completes both: a batch of them has just completed. */
  private void aBatchOf(Coalescer c, List<String> keys) {
    submit(c, "lone");
    keys.forEach(k -> submit(c, k));
    sent.get(0).reply().complete(new Reply.Written(1, null));
    List<Reply> replies = keys.stream().<Reply>map(k -> new Reply.Written(2, null)).toList();
    sent.get(1).reply().complete(new Reply.Batch(replies));
  }

  private int sentCount() {
    synchronized (sent) {
      return sent.size();
    }
  }

  @Test
  void callersWhoseNextOperationsArriveAfterTheirRepliesStillShareOneBatch() {
    Coalescer c = coalescer(1, 100);
    aBatchOf(c, List.of("a", "b", "c"));
    submit(c, "a2");
    submit(c, "b2");
    assertThat(sentCount()).as("the first of them does not go alone").isEqualTo(2);
    submit(c, "c2");
    assertThat(sentCount()).isEqualTo(3);
    assertThat(((Command.Batch) sent.get(2).request()).ops()).extracting(CoalescerTest::keyOf)
        .containsExactly("a2", "b2", "c2");
  }

  @Test
  void aGatheringThatIsNotFilledEndsWithinItsBound() {
    Coalescer c = coalescer(1, 100, 2_000);
    aBatchOf(c, List.of("a", "b", "c"));
    CompletableFuture<Reply> only = submit(c, "a2");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (sentCount() < 3 && System.nanoTime() < deadline) {
      java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1)); // polling, with a deadline
    }
    assertThat(sentCount()).as("the lone operation sent once the gathering is over").isEqualTo(3);
    assertThat(keyOf(sent.get(2).request())).isEqualTo("a2");
    sent.get(2).reply().complete(new Reply.Written(3, null));
    assertThat(only.join()).isEqualTo(new Reply.Written(3, null));
  }

  @Test
  void aLoneOperationsSuccessorIsSentAtOnce() {
    Coalescer c = coalescer(1, 100);
    submit(c, "a");
    sent.get(0).reply().complete(new Reply.Written(1, null));
    submit(c, "b");
    assertThat(sentCount()).isEqualTo(2);
  }
}
