package io.kvpipe.systemtest;

import io.kvpipe.testsupport.kafka.KafkaBroker;
import io.kvpipe.testsupport.mysql.LocalMySqlServer;
import io.kvpipe.testsupport.process.JavaProcess;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Injects faults into a running {@link SystemStack}, one at a time, at random from a seed: the same seed gives the same
 * schedule (kinds, targets, durations, pauses between), though not the same timing of the system's reactions. The kinds
 * come in rounds, each a seeded shuffle of every kind asked for, so the first round's faults exercise each kind once
 * (a short run covers them all, rather than hoping the dice do; {@link #injected}). One
 * fault at a time means a majority of every group's replicas stays up (a paused or killed node is one of three), so
 * writes must stay possible throughout. Every fault is healed before the next and when the nemesis closes; each is
 * recorded in the {@link Timeline}.
 *
 * <ul>
 *   <li>{@code kill}: kill -9 of one of n1..n3 (leader or follower of whatever it hosts), restart after 1-5 s;
 *   <li>{@code pause}: SIGSTOP of n1..n3 or a proxy for 1-10 s (a GC pause past the election timeout and the
 *   migration lease), then SIGCONT;
 *   <li>{@code partition}: one of n1..n3 (leader or follower) cut off from every peer, proxy and the broker for
 *   2-10 s, then reconnected (needs the nodes on a {@link NodeNetwork});
 *   <li>{@code kafka}: the broker killed (kill -9) or paused for 2-8 s, then restarted or resumed;
 *   <li>{@code mysql}: mariadbd killed (kill -9) for 2-8 s, then started again;
 *   <li>{@code consumer}: the archive consumer killed (kill -9, whatever batch it is in), restarted after 0.5-3 s.
 * </ul>
 */
final class Nemesis implements AutoCloseable {
  enum Kind { KILL, PAUSE, PARTITION, KAFKA, MYSQL, CONSUMER }

  private static final Duration START = Duration.ofSeconds(90);

  private final SystemStack stack;
  private final KafkaBroker broker;
  private final LocalMySqlServer mysql;
  private final NodeNetwork network;
  private final List<Kind> kinds;
  private final Random random;
  private final Timeline timeline;
  private final AtomicBoolean running = new AtomicBoolean();
  private final List<String> errors = new ArrayList<>();
  /** What is left of the current round: a seeded shuffle of {@link #kinds}. */
  private final List<Kind> round = new ArrayList<>();
  /** Faults injected and healed so far (failed attempts too: those are in {@link #errors}), by kind. */
  private final Map<Kind, Integer> injected = new EnumMap<>(Kind.class);
  private Thread thread;

  Nemesis(SystemStack stack, KafkaBroker broker, LocalMySqlServer mysql, NodeNetwork network, Set<Kind> kinds,
          long seed, Timeline timeline) {
    this.stack = stack;
    this.broker = broker;
    this.mysql = mysql;
    this.network = network;
    this.kinds = new ArrayList<>(EnumSet.copyOf(kinds));
    this.random = new Random(seed);
    this.timeline = timeline;
    if (this.kinds.contains(Kind.MYSQL) && mysql == null) {
      throw new IllegalArgumentException("the mysql fault needs a throwaway local server (LocalMySqlServer)");
    }
    if (this.kinds.contains(Kind.PARTITION) && network == null) {
      throw new IllegalArgumentException("the partition fault needs the nodes on a NodeNetwork");
    }
  }

  Nemesis start() {
    if (kinds.isEmpty()) {
      return this;
    }
    running.set(true);
    thread = Thread.ofPlatform().name("nemesis").start(this::run);
    return this;
  }

  /** Faults that could not be injected or healed as planned (a process that would not restart). */
  synchronized List<String> errors() {
    return List.copyOf(errors);
  }

  /** Faults injected and healed so far, by kind (a kind not injected yet is absent). */
  synchronized Map<Kind, Integer> injected() {
    return Map.copyOf(injected);
  }

  /** Whether at least {@code min} faults have been injected and healed, every kind asked for among them. */
  synchronized boolean covered(int min) {
    return injected.keySet().containsAll(kinds) && injected.values().stream().mapToInt(Integer::intValue).sum() >= min;
  }

  private Kind nextKind() {
    if (round.isEmpty()) {
      round.addAll(kinds);
      Collections.shuffle(round, random);
    }
    return round.remove(0);
  }

  private void run() {
    while (running.get()) {
      if (!hold(2_000 + random.nextInt(3_000))) {
        return;
      }
      Kind kind = nextKind();
      long start = timeline.now();
      String target = "?";
      try {
        target = switch (kind) {
          case KILL -> kill();
          case PAUSE -> pause();
          case PARTITION -> partition();
          case KAFKA -> kafka();
          case MYSQL -> mysql();
          case CONSUMER -> consumer();
        };
        timeline.add(new Timeline.Event(kind.name().toLowerCase(), target, start, timeline.now(), true, null));
      } catch (RuntimeException e) {
        String why = e.toString();
        synchronized (this) {
          errors.add(kind + " " + target + ": " + why);
        }
        timeline.add(new Timeline.Event(kind.name().toLowerCase(), target, start, timeline.now(), false, why));
      }
      synchronized (this) {
        injected.merge(kind, 1, Integer::sum);
      }
    }
  }

  /** Waits {@code millis} (the fault's planned length); false once the nemesis is closing (the fault is then healed). */
  private boolean hold(long millis) {
    long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    while (running.get() && System.nanoTime() < end) {
      try {
        Thread.sleep(Math.min(100, Math.max(1, TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime()))));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return running.get();
  }

  private String kill() {
    String node = "n" + (1 + random.nextInt(3));
    long holdMs = 1_000 + random.nextInt(4_000);
    String leads = leads(node);
    stack.nodes().kill9(node);
    hold(holdMs);
    stack.nodes().restart(node, START);
    return node + leads;
  }

  private String pause() {
    int t = random.nextInt(5);
    long holdMs = 1_000 + random.nextInt(9_000);
    String target;
    long pid;
    if (t < 3) {
      target = "n" + (1 + t);
      pid = stack.nodes().process(target).pid();
      target += leads(target);
    } else {
      String proxy = t == 3 ? "a" : "b";
      target = "proxy-" + proxy;
      pid = stack.proxy(proxy).pid();
    }
    signal("STOP", pid);
    try {
      hold(holdMs);
    } finally {
      signal("CONT", pid);
    }
    return target;
  }

  private String partition() {
    String node = "n" + (1 + random.nextInt(3));
    long holdMs = 2_000 + random.nextInt(8_000);
    String leads = leads(node);
    network.cut(node);
    try {
      hold(holdMs);
    } finally {
      network.heal(node);
    }
    return node + leads + " cut off";
  }

  private String kafka() {
    long holdMs = 2_000 + random.nextInt(6_000);
    if (random.nextBoolean()) {
      broker.kill();
      hold(holdMs);
      broker.restart();
      return "broker killed";
    }
    long pid = broker.pid();
    signal("STOP", pid);
    try {
      hold(holdMs);
    } finally {
      signal("CONT", pid);
    }
    return "broker paused";
  }

  private String mysql() {
    long holdMs = 2_000 + random.nextInt(6_000);
    long pid = mysql.pid();
    signal("KILL", pid);
    ProcessHandle.of(pid).ifPresent(h -> h.onExit().orTimeout(30, TimeUnit.SECONDS).join());
    hold(holdMs);
    mysql.start();
    return "mariadbd killed";
  }

  private String consumer() {
    JavaProcess c = stack.archiveProcess();
    long holdMs = 500 + random.nextInt(2_500);
    c.kill9();
    hold(holdMs);
    c.start();
    return "consumer killed";
  }

  /** " (leads g1,meta)" for a node leading groups now, else "" (asked of the nodes; informative only). */
  private String leads(String node) {
    List<String> led = new ArrayList<>();
    for (String g : List.of("meta", "g1", "g2")) {
      try {
        if (stack.nodes().leader(g).map(node::equals).orElse(false)) {
          led.add(g);
        }
      } catch (RuntimeException unknown) {
        // Mid-election or unreachable: the note just leaves it out.
      }
    }
    return led.isEmpty() ? " (follower)" : " (leads " + String.join(",", led) + ")";
  }

  static void signal(String signal, long pid) {
    try {
      Process p = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).redirectErrorStream(true).start();
      if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException("kill -" + signal + " " + pid + " failed: "
            + new String(p.getInputStream().readAllBytes()));
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot run kill -" + signal + " " + pid, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted sending SIG" + signal, e);
    }
  }

  /** Stops injecting; the fault in progress is healed before this returns. */
  @Override
  public void close() throws InterruptedException {
    running.set(false);
    if (thread != null) {
      thread.join(TimeUnit.MINUTES.toMillis(5));
    }
  }
}
