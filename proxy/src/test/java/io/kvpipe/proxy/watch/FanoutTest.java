package io.kvpipe.proxy.watch;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.common.event.ChangeEvent;
import io.kvpipe.common.event.Op;
import io.kvpipe.common.event.Origin;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Registration against dispatch, ids, the held frames of a resuming watcher, and the bounded queue. */
class FanoutTest {
  final List<Watcher> cut = new ArrayList<>();
  final Fanout fanout = new Fanout(cut::add);

  static ChangeEvent put(String key, long version) {
    return new ChangeEvent(Op.UPDATE, key, null, ("v" + version).getBytes(StandardCharsets.UTF_8), 0, "g1", version,
        0, 1, 1, version, Origin.CLIENT);
  }

  static Watcher watcher(String prefix, int maxEvents) {
    return new Watcher(new WatchRequest(prefix, false, Optional.empty()), maxEvents, 1 << 20);
  }

  static List<String> drain(Watcher w) throws InterruptedException {
    List<String> out = new ArrayList<>();
    while (w.queued() > 0) {
      out.add(new String(w.take(0).bytes(), StandardCharsets.UTF_8));
    }
    return out;
  }

  void dispatch(int partition, long offset, ChangeEvent e) {
    long[] after = fanout.position();
    after[partition] = offset + 1;
    fanout.dispatch(List.of(new Fanout.Read(partition, offset, e)), after);
  }

  @Test
  void aWatcherFromNowSeesOnlyLaterMatchingChangesEachWithThePositionAfterIt() throws Exception {
    fanout.start(new long[] {10, 20});
    dispatch(0, 10, put("a/1", 1));
    Watcher w = watcher("a/", 100);
    long[] at = fanout.register(w, null);
    assertThat(at).containsExactly(11, 20);
    dispatch(1, 20, put("b/1", 2));
    dispatch(1, 21, put("a/2", 3));
    dispatch(0, 11, null); // not a change (e.g. a migration copy): only moves the position
    dispatch(0, 12, put("a/3", 4));
    List<String> frames = drain(w);
    assertThat(frames).hasSize(3);
    assertThat(frames.get(0)).startsWith("id: " + WatchPosition.of(11, 20).token() + "\nevent: ready\n");
    assertThat(frames.get(1)).isEqualTo("id: " + WatchPosition.of(11, 22).token() + "\nevent: change\ndata: "
        + "{\"key\":\"a/2\",\"op\":\"update\",\"value\":\"djM=\",\"version\":3}\n\n");
    assertThat(frames.get(2)).startsWith("id: " + WatchPosition.of(13, 22).token() + "\n").contains("\"a/3\"");
  }

  @Test
  void aResumingWatchersLiveFramesWaitBehindItsCatchUp() throws Exception {
    fanout.start(new long[] {5, 5});
    Watcher w = new Watcher(new WatchRequest("", false, Optional.of(WatchPosition.of(2, 7))), 100, 1 << 20);
    long[] target = fanout.register(w, new long[] {2, 7});
    assertThat(target).containsExactly(5, 5);
    dispatch(0, 5, put("live-0-5", 9));
    dispatch(1, 5, put("seen-before-7", 8)); // below the token on partition 1: the client has it already
    dispatch(1, 7, put("live-1-7", 10));
    assertThat(w.offerCatchUp(WatchFrames.change(put("catchup-0-3", 4), WatchPosition.of(4, 7).token()))).isTrue();
    w.goLive();
    List<String> frames = drain(w);
    assertThat(frames).hasSize(4);
    assertThat(frames.get(0)).contains("event: ready").contains(WatchPosition.of(2, 7).token());
    assertThat(frames.get(1)).contains("catchup-0-3");
    assertThat(frames.get(2)).contains("live-0-5").startsWith("id: " + WatchPosition.of(6, 7).token());
    assertThat(frames.get(3)).contains("live-1-7").startsWith("id: " + WatchPosition.of(6, 8).token());
  }

  @Test
  void aWatcherThatDoesNotKeepUpIsCutOffAndItsQueueDropped() throws Exception {
    fanout.start(new long[] {0});
    Watcher slow = watcher("", 3);
    Watcher fast = watcher("", 3);
    fanout.register(slow, null);
    fanout.register(fast, null);
    for (int i = 0; i < 5; i++) {
      dispatch(0, i, put("k" + i, i + 1));
      drain(fast);
    }
    assertThat(cut).containsExactly(slow);
    Watcher gone = watcher("", 3);
    fanout.register(gone, null);
    gone.close(null, null); // the client left: removed at the next change, not reported as cut off
    dispatch(0, 5, put("k5", 6));
    assertThat(cut).containsExactly(slow);
    assertThat(slow.isClosed()).isTrue();
    assertThat(slow.closeCode()).isEqualTo("WATCHER_TOO_SLOW");
    assertThat(slow.closeMessage()).contains("--watch-queue-events 3");
    assertThat(slow.take(0)).isSameAs(Watcher.END);
    assertThat(slow.queued()).isZero();
    assertThat(fanout.size()).isEqualTo(1);
    assertThat(fast.isClosed()).isFalse();
    drain(fast);
  }

  @Test
  void theByteBoundCutsOffTooButOneLargeFrameAlwaysFits() {
    Watcher w = new Watcher(new WatchRequest("", false, Optional.empty()), 100, 1024);
    byte[] big = new byte[4000];
    assertThat(w.offerLive(new WatchFrames.Frame(big, true))).as("alone in the queue").isTrue();
    assertThat(w.offerLive(new WatchFrames.Frame(new byte[10], true))).isFalse();
    assertThat(w.closeCode()).isEqualTo("WATCHER_TOO_SLOW");
  }

  @Test
  void progressGoesOnlyToIdleWatchersAndOnlyWhenThePositionMoved() throws Exception {
    fanout.start(new long[] {0});
    Watcher w = watcher("z", 10);
    fanout.register(w, null);
    drain(w);
    dispatch(0, 0, put("a", 1));
    fanout.progress();
    fanout.progress();
    List<String> frames = drain(w);
    assertThat(frames).containsExactly("id: " + WatchPosition.of(1).token() + "\nevent: progress\ndata: "
        + "{\"position\":\"" + WatchPosition.of(1).token() + "\"}\n\n");
  }

  @Test
  void onceClosedEveryWatcherGetsTheReasonAndNewOnesAreRefused() {
    fanout.start(new long[] {0});
    Watcher w = watcher("", 10);
    fanout.register(w, null);
    fanout.closeAll("UNAVAILABLE", "feed stopped");
    assertThat(w.closeCode()).isEqualTo("UNAVAILABLE");
    assertThat(fanout.ready()).isFalse();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> fanout.register(watcher("", 10), null))
        .isInstanceOf(io.kvpipe.common.error.KvException.class).hasMessageContaining("not reading");
  }
}
