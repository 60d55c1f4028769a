package io.kvpipe.systemtest;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.common.watch.WatchEvent;
import io.kvpipe.testsupport.Poll;
import io.kvpipe.testsupport.kafka.KafkaBrokerExtension;
import io.kvpipe.testsupport.load.KvHttp;
import io.kvpipe.testsupport.mysql.MySqlDatabase;
import io.kvpipe.testsupport.mysql.MySqlExtension;
import io.kvpipe.testsupport.watch.ResumingWatcher;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /v1/watch} against the whole system: a watcher of the prefix {@code w/} that drops its stream every
 * second and a half and resumes (Last-Event-ID) on the other proxy, while writers put and delete keys inside and
 * outside the prefix through both proxies, g1's leader is killed with SIGKILL, g3 is added (a third of the keys move,
 * their copies are published as migration events) and proxy a is killed and started again. The watcher must see
 * every acknowledged change of its prefix exactly once, per key in version order, with the value written, and
 * nothing else (a change whose write timed out may appear, once, in order).
 */
@ExtendWith(MySqlExtension.class)
class WatchIT {
  @RegisterExtension static final KafkaBrokerExtension KAFKA = KafkaBrokerExtension.shared();
  static final Duration WAIT = Duration.ofSeconds(180);
  static final int WRITERS = 4;
  static final int KEYS_PER_WRITER = 10;

  @TempDir(cleanup = CleanupMode.ON_SUCCESS) Path dir;

  /** What a writer was told: the version and the value (null: deleted). */
  record Ack(long version, String value) {}

  final Map<String, List<Ack>> acks = new ConcurrentHashMap<>();
  final Map<String, AtomicInteger> uncertain = new ConcurrentHashMap<>();
  final AtomicInteger acked = new AtomicInteger();
  final AtomicBoolean writing = new AtomicBoolean(true);

  @Test
  void aReconnectingWatcherSeesEveryChangeOnceInVersionOrderThroughLeaderKillMigrationAndProxyRestart(
      MySqlDatabase db) throws Exception {
    SystemStack.Builder builder = SystemStack.builder(dir);
    try (SystemStack stack = builder.groups("g1", "g2").proxies("a", "b")
        .pipeline(KAFKA.bootstrapServers(), db)
        .proxyArgs("--kafka-bootstrap", KAFKA.bootstrapServers(), "--topic", builder.topic(),
            "--watch-heartbeat-ms", "500")
        .start()) {
      List<String> proxies = List.of(stack.proxy("a").base(), stack.proxy("b").base());
      Map<String, List<WatchEvent>> seen = new TreeMap<>();
      List<String> foreign = new CopyOnWriteArrayList<>();
      HttpClient http = ResumingWatcher.httpClient();
      try (ResumingWatcher watcher = new ResumingWatcher(http, proxies, SystemStack.DATA_TOKEN, "prefix=w/", e -> {
        synchronized (seen) {
          if (!e.key().startsWith("w/")) {
            foreign.add(e.key());
          }
          seen.computeIfAbsent(e.key(), k -> new ArrayList<>()).add(e);
        }
      }).start()) {
        Poll.until("the watcher's first stream to be ready", WAIT, watcher::isReady);
        List<Thread> writers = new ArrayList<>();
        for (int w = 0; w < WRITERS; w++) {
          int id = w;
          writers.add(Thread.ofPlatform().name("writer-" + w).start(() -> write(id, stack)));
        }
        Thread dropper = Thread.ofPlatform().name("dropper").daemon().start(() -> {
          while (writing.get()) {
            java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(1500).toNanos()); // the fault's pace
            watcher.disconnect();
          }
        });
        awaitAcks(300);

        String leader = Poll.forValue("g1's leader", WAIT, () -> stack.nodes().leader("g1").orElse(null));
        System.out.println("  killing g1's leader " + leader);
        stack.nodes().kill9(leader);
        awaitAcks(300);
        stack.nodes().restart(leader, WAIT);

        AdminApi admin = new AdminApi(stack.proxy("b").admin());
        MigrationView add = admin.addGroup("g3", stack.corePeers(), 0, 500);
        admin.awaitDone(add.id(), WAIT, v -> { });
        System.out.println("  g3 added");
        awaitAcks(200);

        System.out.println("  killing proxy a");
        stack.proxy("a").kill9();
        awaitAcks(100);
        stack.proxy("a").start(WAIT);
        awaitAcks(300);

        writing.set(false);
        for (Thread t : writers) {
          t.join(WAIT.toMillis());
        }
        dropper.join(5_000);
        Poll.until("the watcher to see every key's last acknowledged version", WAIT, () -> {
          synchronized (seen) {
            return acks.entrySet().stream().allMatch(en -> {
              List<WatchEvent> s = seen.getOrDefault(en.getKey(), List.of());
              return !s.isEmpty() && s.getLast().version() >= en.getValue().getLast().version();
            });
          }
        });
        System.out.printf("  %d acknowledged writes, %d uncertain, %d connections, close reasons %s%n", acked.get(),
            uncertain.values().stream().mapToInt(AtomicInteger::get).sum(), watcher.connections(),
            watcher.closeReasons());
        for (String name : List.of("a", "b")) {
          String metrics = stack.proxy(name).data().json("GET", "/metrics", null).bodyText();
          metrics.lines().filter(l -> l.startsWith("kvpipe_proxy_watch_") && !l.startsWith("kvpipe_proxy_watch_feed"))
              .forEach(l -> System.out.println("  proxy " + name + ": " + l));
        }
        synchronized (seen) {
          assertThat(foreign).as("changes of keys outside the prefix").isEmpty();
          for (Map.Entry<String, List<Ack>> en : acks.entrySet()) {
            checkKey(en.getKey(), en.getValue(), seen.getOrDefault(en.getKey(), List.of()));
          }
          assertThat(seen.keySet()).as("keys seen that nobody wrote").isSubsetOf(acks.keySet());
        }
        assertThat(watcher.connections()).as("streams the watcher opened (it reconnected)").isGreaterThan(10);
      }
    }
  }

  private void checkKey(String key, List<Ack> written, List<WatchEvent> events) {
    long[] versions = events.stream().mapToLong(WatchEvent::version).toArray();
    long[] sorted = Arrays.stream(versions).distinct().sorted().toArray();
    assertThat(versions).as(key + ": versions seen, each once and in order").containsExactly(sorted);
    Map<Long, WatchEvent> byVersion = new TreeMap<>();
    events.forEach(e -> byVersion.put(e.version(), e));
    for (Ack a : written) {
      WatchEvent e = byVersion.get(a.version());
      assertThat(e).as(key + " v" + a.version() + " acknowledged but not seen").isNotNull();
      // create vs update is the owning group's view (a write on a migration's target before the key is copied
      // there is a create), so only delete vs put is checked.
      assertThat(e.op()).as(key + " v" + a.version()).isIn(a.value() == null ? List.of("delete")
          : List.of("create", "update"));
      assertThat(e.value() == null ? null : new String(e.value(), StandardCharsets.UTF_8)).as(key + " v"
          + a.version() + " value").isEqualTo(a.value());
    }
    int extra = byVersion.size() - written.size();
    assertThat(extra).as(key + ": changes seen that no acknowledged write made (only writes that timed out may)")
        .isLessThanOrEqualTo(uncertain.getOrDefault(key, new AtomicInteger()).get());
  }

  private void awaitAcks(int more) {
    int target = acked.get() + more;
    Poll.until(more + " more acknowledged writes", WAIT, () -> acked.get() >= target);
  }

  /** One writer: its own keys (so per key, acknowledgements come in version order), through both proxies. */
  private void write(int id, SystemStack stack) {
    KvHttp[] via = {stack.proxy("a").data(), stack.proxy("b").data()};
    java.util.Random rnd = new java.util.Random(id);
    for (int n = 0; writing.get(); n++) {
      boolean inside = rnd.nextInt(4) != 0;
      String key = (inside ? "w/" : "x/") + id + "-" + rnd.nextInt(KEYS_PER_WRITER);
      boolean delete = rnd.nextInt(5) == 0;
      String value = key + "@" + n;
      KvHttp http = via[n % 2];
      try {
        KvHttp.Response r = delete ? http.delete(key) : http.put(key, value.getBytes(StandardCharsets.UTF_8));
        if (r.ok()) {
          if (inside && !(delete && r.version() == 0)) {
            acks.computeIfAbsent(key, k -> new CopyOnWriteArrayList<>()).add(new Ack(r.version(),
                delete ? null : value));
          }
          acked.incrementAndGet();
        } else if (r.status() == 504 || r.status() == 500) {
          uncertain.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet(); // may have been applied
        }
      } catch (java.net.ConnectException notSent) {
        // proxy a is down: nothing reached it
      } catch (Exception e) {
        uncertain.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet(); // proxy killed mid-request
      }
    }
  }
}
