package io.kvpipe.proxy.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.error.OutcomeUnknownException;
import io.kvpipe.common.topology.MetaCommand;
import io.kvpipe.common.topology.MetaState;
import io.kvpipe.common.topology.ShardGroup;
import io.kvpipe.common.topology.TopologyTransitions;
import io.kvpipe.proxy.ProxyMetrics;
import io.kvpipe.proxy.topology.TopologySource;
import io.kvpipe.proxy.topology.TopologyView;
import io.kvpipe.testsupport.tls.TestTls;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The router's retry rules, with a fixed topology and operations the test scripts (the group clients exist but are
 * never called: the operation under test stands in for the call).
 */
class KvRouterTest {
  static final byte[] KEY = "k".getBytes(StandardCharsets.UTF_8);

  final TopologyView view = view();
  final GroupClients groups = new GroupClients(Duration.ofSeconds(2), TestTls.cluster().raftTls());
  final KvRouter router;

  /** A topology source that always gives {@code view}. */
  static TopologySource fixed(TopologyView view) {
    return new TopologySource() {
      @Override
      public TopologyView current() {
        return view;
      }

      @Override
      public CompletableFuture<TopologyView> refresh() {
        return CompletableFuture.completedFuture(view);
      }
    };
  }

  KvRouterTest() {
    groups.update(view.topology());
    router = new KvRouter(fixed(view), groups, new ProxyMetrics(), Duration.ofSeconds(2));
  }

  @AfterEach
  void close() {
    groups.close();
  }

  static TopologyView view() {
    MetaState s = TopologyTransitions.apply(MetaState.EMPTY, new MetaCommand.Bootstrap(List.of(
        ShardGroup.parse("g1=n1@127.0.0.1:1")), List.of(), 8, 1)).state();
    return new TopologyView(s.topology());
  }

  /** An operation that fails its first {@code failures} calls with {@code code}, then succeeds; counts calls. */
  static final class Scripted {
    final AtomicInteger calls = new AtomicInteger();
    final int failures;
    final ErrorCode code;

    Scripted(int failures, ErrorCode code) {
      this.failures = failures;
      this.code = code;
    }

    CompletableFuture<String> call() {
      return calls.incrementAndGet() <= failures
          ? CompletableFuture.failedFuture(new KvException(code, "scripted"))
          : CompletableFuture.completedFuture("ok");
    }
  }

  /**
   * Issue 11 item 8: NO_LEADER after Ratis's own retries (or UNAVAILABLE, TIMEOUT) does not say the write was not
   * applied; sending it again as a new request could apply it twice (readers see A, B, A; two change events).
   */
  /**
   * Review finding 5: a write's TIMEOUT is always an unknown outcome (the proxy's deadline may pass after the write was
   * logged), and says so by its type; a read's TIMEOUT is just a timeout.
   */
  @Test
  void aWritesTimeoutIsAnUnknownOutcomeAndAReadsIsNot() {
    // The router's own timer: the group never answers within what is left of the 2 s deadline.
    long almostOver = System.nanoTime() - Duration.ofMillis(1900).toNanos();
    assertThatThrownBy(router.write(KEY, c -> new CompletableFuture<String>(), almostOver)::join).cause()
        .isInstanceOfSatisfying(OutcomeUnknownException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.TIMEOUT));
    // The group client's TIMEOUT, which the client could not type (it does not know the caller's deadline).
    Scripted timedOut = new Scripted(1, ErrorCode.TIMEOUT);
    assertThatThrownBy(router.write(KEY, c -> timedOut.call(), System.nanoTime())::join).cause()
        .isInstanceOfSatisfying(OutcomeUnknownException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.TIMEOUT));
    // A deadline already past: the same answer for every write, so a caller need not know when it passed.
    long over = System.nanoTime() - Duration.ofSeconds(3).toNanos();
    assertThatThrownBy(router.write(KEY, c -> new Scripted(0, ErrorCode.TIMEOUT).call(), over)::join).cause()
        .isInstanceOf(OutcomeUnknownException.class);
    assertThatThrownBy(router.read(KEY, false, over)::join).cause()
        .isInstanceOfSatisfying(KvException.class, e -> {
          assertThat(e.code()).isEqualTo(ErrorCode.TIMEOUT);
          assertThat(e).isNotInstanceOf(OutcomeUnknownException.class);
        });
  }

  /** The group client typed the failure (it knows whether Ratis resent the write): the router passes it on as is. */
  @Test
  void aWriteFailureTheClientTypedIsPassedOn() {
    KvException unknown = new OutcomeUnknownException(ErrorCode.NO_LEADER, "retries ran out");
    AtomicInteger calls = new AtomicInteger();
    assertThatThrownBy(router.write(KEY, c -> {
      calls.incrementAndGet();
      return CompletableFuture.<String>failedFuture(unknown);
    }, System.nanoTime())::join).cause().isSameAs(unknown);
    assertThat(calls).hasValue(1);
    // Even with a code that is otherwise a refusal to route again: an unknown outcome is never sent again.
    KvException unknownMoved = new OutcomeUnknownException(ErrorCode.WRONG_GROUP, "pipeline closed");
    AtomicInteger movedCalls = new AtomicInteger();
    assertThatThrownBy(router.write(KEY, c -> {
      movedCalls.incrementAndGet();
      return CompletableFuture.<String>failedFuture(unknownMoved);
    }, System.nanoTime())::join).cause().isSameAs(unknownMoved);
    assertThat(movedCalls).hasValue(1);
  }

  @Test
  void aWriteIsNeverSentAgainAfterAnAmbiguousFailure() {
    for (ErrorCode ambiguous : List.of(ErrorCode.NO_LEADER, ErrorCode.UNAVAILABLE, ErrorCode.TIMEOUT)) {
      Scripted op = new Scripted(1, ambiguous);
      CompletableFuture<String> result = router.write(KEY, c -> op.call(), System.nanoTime());
      assertThatThrownBy(result::join).isInstanceOf(CompletionException.class).cause()
          .isInstanceOfSatisfying(KvException.class, e -> assertThat(e.code()).isEqualTo(ambiguous));
      assertThat(op.calls).as("calls after " + ambiguous).hasValue(1);
    }
  }

  @Test
  void aWriteTheGroupRefusedAsNotItsOwnIsRoutedAgain() {
    Scripted op = new Scripted(2, ErrorCode.WRONG_GROUP);
    assertThat(router.write(KEY, c -> op.call(), System.nanoTime()).join()).isEqualTo("ok");
    assertThat(op.calls).hasValue(3);
  }

  /**
   * Robustness finding 5: a group its replicas no longer host answers whatever attempt reaches it, and Ratis may have
   * resent the write after an earlier attempt was applied, before the group was drained and removed. Sending the write
   * to the key's new owner could apply it twice; the caller gets an unknown outcome instead.
   */
  @Test
  void aWriteIsNotSentAgainWhenItsGroupIsGone() {
    Scripted write = new Scripted(1, ErrorCode.UNKNOWN_GROUP);
    assertThatThrownBy(router.write(KEY, c -> write.call(), System.nanoTime())::join).cause()
        .isInstanceOfSatisfying(OutcomeUnknownException.class, e -> {
          assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE);
          assertThat(e.getMessage()).contains("unknown");
        });
    assertThat(write.calls).hasValue(1);
  }

  @Test
  void aRefusalOfTheWriteItselfIsTheAnswer() {
    for (ErrorCode refusal : List.of(ErrorCode.VERSION_MISMATCH, ErrorCode.CDC_BACKLOG_FULL)) {
      Scripted op = new Scripted(1, refusal);
      assertThatThrownBy(router.write(KEY, c -> op.call(), System.nanoTime())::join).cause()
          .isInstanceOfSatisfying(KvException.class, e -> {
            assertThat(e.code()).isEqualTo(refusal);
            assertThat(e).isNotInstanceOf(OutcomeUnknownException.class);
          });
      assertThat(op.calls).hasValue(1);
    }
  }
}
