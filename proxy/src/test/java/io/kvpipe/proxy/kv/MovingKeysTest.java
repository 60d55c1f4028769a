package io.kvpipe.proxy.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.wire.Entry;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class MovingKeysTest {
  static Optional<Entry> rec(String value, long version) {
    return Optional.of(new Entry("k".getBytes(), value == null ? null : value.getBytes(), version));
  }

  @Test
  void theNewerRecordWinsTombstonesIncluded() {
    assertThat(MovingKeys.newer(Optional.empty(), Optional.empty())).isEmpty();
    assertThat(MovingKeys.newer(rec("a", 5), Optional.empty()).orElseThrow().version()).isEqualTo(5);
    assertThat(MovingKeys.newer(Optional.empty(), rec("b", 3)).orElseThrow().version()).isEqualTo(3);
    assertThat(MovingKeys.newer(rec("old", 5), rec("new", 9)).orElseThrow().version()).isEqualTo(9);
    assertThat(MovingKeys.newer(rec("new", 9), rec(null, 5)).orElseThrow().deleted()).isFalse();
    assertThat(MovingKeys.newer(rec("old", 5), rec(null, 9)).orElseThrow().deleted()).isTrue();
  }

  /**
   * Review finding 4b: the write behind a moving key's copy was started on the copy's reply thread, outside the
   * request's deadline scope, so one whose copy finished after the deadline (its caller already told 504) was still
   * sent, with a fresh full timeout. It fails with TIMEOUT instead, never started.
   */
  @Test
  void aWriteWhoseCopyFinishesAfterTheRequestsDeadlineIsNeverStarted() {
    CompletableFuture<Void> copy = new CompletableFuture<>();
    AtomicInteger writes = new AtomicInteger();
    CompletableFuture<String> written = MovingKeys.thenBefore(copy, System.nanoTime(), null, owner -> {
      writes.incrementAndGet();
      return CompletableFuture.completedFuture("written");
    });
    copy.complete(null); // as the copy's reply thread would, past the deadline
    assertThat(writes).as("writes started").hasValue(0);
    assertThatThrownBy(written::join).cause().isInstanceOfSatisfying(KvException.class,
        e -> assertThat(e.code()).isEqualTo(ErrorCode.TIMEOUT));
  }

  @Test
  void aWriteWhoseCopyFinishesBeforeTheRequestsDeadlineIsStarted() {
    CompletableFuture<Void> copy = new CompletableFuture<>();
    CompletableFuture<String> written = MovingKeys.thenBefore(copy,
        System.nanoTime() + TimeUnit.SECONDS.toNanos(10), null, owner -> CompletableFuture.completedFuture("written"));
    assertThat(written).isNotDone();
    copy.complete(null);
    assertThat(written.join()).isEqualTo("written");
  }

  @Test
  void aFailedCopyStartsNoWrite() {
    AtomicInteger writes = new AtomicInteger();
    CompletableFuture<String> written = MovingKeys.thenBefore(
        CompletableFuture.failedFuture(new KvException(ErrorCode.WRONG_GROUP, "moved on")),
        System.nanoTime() + TimeUnit.SECONDS.toNanos(10), null, owner -> {
          writes.incrementAndGet();
          return CompletableFuture.completedFuture("written");
        });
    assertThat(writes).hasValue(0);
    assertThatThrownBy(written::join).cause().isInstanceOfSatisfying(KvException.class,
        e -> assertThat(e.code()).isEqualTo(ErrorCode.WRONG_GROUP));
  }
}
