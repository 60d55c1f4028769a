package io.kvpipe.proxy.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvpipe.common.wire.Entry;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class BoundedReadsTest {
  private static List<byte[]> keys(int n) {
    List<byte[]> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(new byte[] {(byte) i, (byte) (i >> 8)});
    }
    return out;
  }

  private static Entry entry(int bytes) {
    return new Entry(new byte[] {1}, new byte[bytes], 1);
  }

  @Test
  void keepsTheOrderOfTheKeys() {
    List<Optional<Entry>> got = BoundedReads.run(keys(300), k -> CompletableFuture.completedFuture(
        k[0] % 2 == 0 ? Optional.of(new Entry(k, k, 7)) : Optional.empty()), 1 << 20).join();
    assertThat(got).hasSize(300);
    for (int i = 0; i < 300; i++) {
      assertThat(got.get(i).isPresent()).isEqualTo(((byte) i) % 2 == 0);
      got.get(i).ifPresent(e -> assertThat(e.value()).hasSize(2));
    }
  }

  @Test
  void stopsReadingOnceTheValuesPassTheLimit() {
    AtomicInteger started = new AtomicInteger();
    CompletableFuture<List<Optional<Entry>>> f = BoundedReads.run(keys(1000), k -> {
      started.incrementAndGet();
      return CompletableFuture.completedFuture(Optional.of(entry(1024)));
    }, 100 * 1024);
    assertThatThrownBy(f::join).isInstanceOf(CompletionException.class)
        .hasCauseInstanceOf(BoundedReads.OverLimit.class);
    // 101 values pass the limit; at most one window more was asked for, never the whole batch.
    assertThat(started.get()).isLessThanOrEqualTo(101 + BoundedReads.WINDOW);
  }

  @Test
  void aFailedReadFailsTheBatch() {
    CompletableFuture<List<Optional<Entry>>> f = BoundedReads.run(keys(10), k -> k[0] == 5
        ? CompletableFuture.failedFuture(new IllegalStateException("boom"))
        : CompletableFuture.completedFuture(Optional.empty()), 1024);
    assertThatThrownBy(f::join).hasCauseInstanceOf(IllegalStateException.class);
  }
}
