package io.kvpipe.node.meta;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvpipe.common.error.KvException;
import io.kvpipe.common.topology.MetaQuery;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class VersionWaitersTest {
  private final VersionWaiters waiters = new VersionWaiters();
  private final AtomicReference<MetaQuery.VersionInfo> current = new AtomicReference<>(info(5));

  @AfterEach
  void close() {
    waiters.close();
  }

  private static MetaQuery.VersionInfo info(long version) {
    return new MetaQuery.VersionInfo(version, 1);
  }

  @Test
  void aReaderBehindTheCurrentVersionIsAnsweredAtOnce() {
    assertThat(waiters.await(4, 60_000, current::get)).isCompletedWithValue(info(5));
    assertThat(waiters.size()).isZero();
  }

  @Test
  void aChangePastTheReadersVersionAnswersItAndAnEqualOneDoesNot() {
    CompletableFuture<MetaQuery.VersionInfo> f = waiters.await(5, 60_000, current::get);
    assertThat(f).isNotDone();
    waiters.changed(info(5));
    assertThat(f).isNotDone();
    current.set(info(6));
    waiters.changed(info(6));
    assertThat(f).isCompletedWithValue(info(6));
    assertThat(waiters.size()).isZero();
  }

  @Test
  void aReaderNothingWakesGetsTheUnchangedVersionWhenItsWaitEnds() throws Exception {
    CompletableFuture<MetaQuery.VersionInfo> f = waiters.await(5, 50, current::get);
    assertThat(f.get(10, TimeUnit.SECONDS)).isEqualTo(info(5));
    assertThat(waiters.size()).isZero();
  }

  @Test
  void pastTheBoundANewReaderIsRefusedNotHeld() {
    List<CompletableFuture<MetaQuery.VersionInfo>> held = new ArrayList<>();
    for (int i = 0; i < VersionWaiters.MAX_WAITERS; i++) {
      held.add(waiters.await(5, 60_000, current::get));
    }
    CompletableFuture<MetaQuery.VersionInfo> refused = waiters.await(5, 60_000, current::get);
    assertThatThrownBy(refused::get).isInstanceOf(ExecutionException.class).hasCauseInstanceOf(KvException.class)
        .hasMessageContaining("too many readers");
    waiters.changed(info(7));
    assertThat(held).allSatisfy(f -> assertThat(f).isCompletedWithValue(info(7)));
  }

  @Test
  void closingFailsTheReadersStillWaiting() {
    CompletableFuture<MetaQuery.VersionInfo> f = waiters.await(5, 60_000, current::get);
    waiters.close();
    assertThat(f).isCompletedExceptionally();
  }
}
