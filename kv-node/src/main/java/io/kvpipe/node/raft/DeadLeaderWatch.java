package io.kvpipe.node.raft;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.server.impl.KvpipeElections;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts an election as soon as a follower can tell its leader's process is gone, instead of after Ratis's election
 * timer. Why: that timer sleeps a random election timeout (300-600 ms) and only then compares the silence with it, so
 * a follower notices a dead leader one to two timeouts after the last heartbeat; measured, that was most of the
 * kill -9 -> first acknowledged write window. Shortening the timeouts instead would also turn every pause of a loaded
 * box (GC, CPU starvation) into an election.
 *
 * <p>Each follower division probes its leader's Raft port (connects to it) when it has heard nothing from the leader
 * for longer than the leader's idle heartbeat interval (half the minimum election timeout, Ratis's rule) plus two
 * {@link #PERIOD}s, or at once when the idle connection it holds to that port ({@link LeaderLines}) ended after the
 * leader's last message: a killed process's kernel closes its connections at once, so a kill -9 is noticed in about a
 * millisecond rather than a heartbeat interval. Only a refused connection counts: the port is closed, the process is gone. A timeout or any other failure
 * proves nothing (a paused or unreachable leader) and is left to Ratis's own timer, as is everything else. On a
 * refusal the follower stops vouching for that leader ({@link KvpipeElections#forgetLeader}), so it no longer
 * withholds its vote for the rest of the minimum election timeout; after {@link #HANDOFF}, room for the other
 * followers to find the same, the first of them (by id) stands for election; the next one only {@link #STAGGER}
 * after the latest the first can have stood (see {@link #next}), in case the first could not win.
 * The election itself is Ratis's vote, without its pre-vote round (see {@link KvpipeElections}), so a follower wrong
 * about the leader can cost an election, never a committed entry. The decision is {@link #next}; this class only
 * feeds it.
 */
public final class DeadLeaderWatch implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DeadLeaderWatch.class);
  static final Duration PERIOD = Duration.ofMillis(20);
  private static final int CONNECT_TIMEOUT_MS = 100;
  /** From a follower's refusal to its election: the other followers probe within a period and stop vouching too. */
  static final Duration HANDOFF = PERIOD.multipliedBy(2);
  /** Between one follower's start and the next one's: a pre-vote and a vote round on an unloaded box, with room. */
  static final Duration STAGGER = Duration.ofMillis(100);

  /** What one follower does about its leader's silence this period. */
  enum Step { NOTHING, PROBE, ELECT }

  /**
   * The probe of {@code leader}'s port made at {@code silenceMs} into the silence that began with the leader's last
   * message at {@code contactMs} (monotonic clock), and whether it was refused.
   */
  record Finding(RaftPeerId leader, long silenceMs, boolean refused, long contactMs) {}

  private final RaftServer server;
  /** Whether a group's division can be read without waiting (not one Ratis is still adding). */
  private final Predicate<RaftGroupId> readable;
  private final long minSilenceMs;
  private final long probeSilenceMs;
  private final ScheduledExecutorService timer;
  /** Per group, the last probe of the current silence; dropped once the leader is heard from again. */
  private final Map<RaftGroupId, Finding> findings = new ConcurrentHashMap<>();
  /**
   * Groups whose election this silence was held back, and why it was last (logged when it first is and when it
   * changes): the one line that says why a failover waited. Only the timer's thread touches it.
   */
  private final Map<RaftGroupId, KvpipeElections.Start> heldBack = new HashMap<>();
  private final LeaderLines lines = new LeaderLines(this::lineLost);

  /** On unless the environment sets {@code KVPIPE_DEAD_LEADER_WATCH=off}: to compare failovers with and without it. */
  public static boolean enabled() {
    return !"off".equalsIgnoreCase(System.getenv().getOrDefault("KVPIPE_DEAD_LEADER_WATCH", "on"));
  }

  /** The lines too, unless {@code KVPIPE_LEADER_LINES=off}: to compare failovers with and without them. */
  static boolean linesEnabled() {
    return !"off".equalsIgnoreCase(System.getenv().getOrDefault("KVPIPE_LEADER_LINES", "on"));
  }

  /**
   * @param readable false for a group whose division Ratis is still creating: asking for it would block this watch
   *                 (every group's failover with it) for as long as that add takes
   */
  public DeadLeaderWatch(RaftServer server, Predicate<RaftGroupId> readable) {
    this.server = server;
    this.readable = readable;
    this.minSilenceMs = RaftServerConfigKeys.Rpc.timeoutMin(server.getProperties()).toLong(TimeUnit.MILLISECONDS);
    this.probeSilenceMs = probeSilenceMs(minSilenceMs);
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "kvpipe-dead-leader-watch");
      t.setDaemon(true);
      return t;
    });
  }

  /** A healthy idle leader heartbeats every half minimum timeout: a silence two periods longer is worth a probe. */
  static long probeSilenceMs(long minElectionTimeoutMs) {
    return minElectionTimeoutMs / 2 + 2 * PERIOD.toMillis();
  }

  public DeadLeaderWatch start() {
    if (linesEnabled()) {
      lines.start();
    }
    timer.scheduleWithFixedDelay(this::checkAll, PERIOD.toMillis(), PERIOD.toMillis(), TimeUnit.MILLISECONDS);
    return this;
  }

  /** On the lines' thread: check every group now rather than at the next period. */
  private void lineLost(String address) {
    try {
      timer.execute(this::checkAll);
    } catch (RejectedExecutionException e) {
      LOG.debug("line to {} ended while closing", address);
    }
  }

  private void checkAll() {
    try {
      Set<String> leaders = new HashSet<>();
      for (RaftGroupId gid : server.getGroupIds()) {
        if (readable.test(gid)) {
          String leader = check(server.getDivision(gid));
          if (leader != null) {
            leaders.add(leader);
          }
        }
      }
      lines.hold(leaders);
    } catch (IOException | RuntimeException e) {
      // A group being added or removed; the next period sees the new set. Never let the timer die.
      LOG.debug("dead-leader check skipped", e);
    }
  }

  /**
   * The decision, given how long the follower has not heard from its leader ({@code silenceMs}, -1 when it is not a
   * running follower), how long ago its line to the leader ended ({@link Long#MAX_VALUE}: never), what it found
   * earlier in this silence (or null) and its {@link #rank}: probe a silence longer than an idle heartbeat interval, or
   * a line that ended in this silence, once (again only after another minimum timeout or another ended line if the
   * leader answered: a paused leader is Ratis's business); once refused, stand after the handoff and this follower's
   * stagger.
   */
  static Step next(long silenceMs, long msSinceLineLost, Finding found, int rank, long probeSilenceMs,
                   long minSilenceMs) {
    if (silenceMs < 0) {
      return Step.NOTHING;
    }
    if (found == null) {
      // A line that ended before the leader's last message says nothing about the leader now.
      return silenceMs >= probeSilenceMs || msSinceLineLost <= silenceMs ? Step.PROBE : Step.NOTHING;
    }
    if (!found.refused()) {
      long sinceProbe = silenceMs - found.silenceMs();
      return sinceProbe >= minSilenceMs || msSinceLineLost < sinceProbe ? Step.PROBE : Step.NOTHING;
    }
    // The first-ranked follower stands once the handoff is over. A later one counts from the latest the first can
    // have found the leader gone (its periodic probe, when no line told it sooner), not from its own finding: the two
    // findings can lie ~100 ms apart, and a later follower that stood 56 ms after the first, before the first's vote
    // request reached it, split the vote (both lost; Ratis's timer ended that failover after 1 s).
    long from = rank == 0 ? found.silenceMs() : Math.max(found.silenceMs(), probeSilenceMs + PERIOD.toMillis());
    return silenceMs >= from + HANDOFF.toMillis() + STAGGER.toMillis() * rank ? Step.ELECT : Step.NOTHING;
  }

  /** Checks one division; returns the address of the leader it follows (to hold a line to), or null. */
  private String check(RaftServer.Division d) {
    RaftGroupId gid = d.getGroup().getGroupId();
    long silence = KvpipeElections.leaderSilenceMs(d);
    long contactMs = System.nanoTime() / 1_000_000 - silence;
    Finding found = findings.get(gid);
    // 1 ms: both contact times are derived from clocks read at different instants and rounded.
    if (found != null && (silence < 0 || contactMs > found.contactMs() + 1)) {
      // Heard from a leader since (or no longer a follower): this silence is over.
      findings.remove(gid);
      heldBack.remove(gid);
      found = null;
    }
    // Once forgotten, the dead leader is no longer the division's leader: the finding remembers who it was.
    RaftPeerId leaderId = found != null ? found.leader() : d.getInfo().getLeaderId();
    RaftPeer leader = leaderId == null || silence < 0 ? null : d.getGroup().getPeer(leaderId);
    if (leader == null || leader.getAddress() == null) {
      return null;
    }
    long lineLost = lines.msSinceLost(leader.getAddress(), System.nanoTime());
    switch (next(silence, lineLost, found, rank(d, leaderId), probeSilenceMs, minSilenceMs)) {
      case NOTHING -> { }
      case PROBE -> {
        boolean refused = refused(leader.getAddress());
        findings.put(gid, new Finding(leaderId, silence, refused, contactMs));
        if (refused && KvpipeElections.forgetLeader(d, leaderId)) {
          LOG.debug("group {}: leader {} refuses connections after {} ms without a heartbeat: no longer vouched for",
              gid, leaderId, silence);
        }
      }
      // Not started (an append in progress, or no longer a follower): asked again next period.
      case ELECT -> {
        KvpipeElections.Start start = KvpipeElections.startElection(d, HANDOFF.toMillis());
        if (start == KvpipeElections.Start.STARTED) {
          KvpipeElections.Start waited = heldBack.remove(gid);
          LOG.info("group {}: leader {} refuses connections after {} ms without a heartbeat: its process is gone,"
              + " starting an election now{}", gid, leaderId, silence,
              waited == null ? "" : " (held back before: " + waited + ")");
        } else if (heldBack.put(gid, start) != start) {
          LOG.info("group {}: leader {} refuses connections after {} ms without a heartbeat; election held back: {}",
              gid, leaderId, silence, start);
        }
      }
    }
    Finding now = findings.get(gid);
    return now != null && now.refused() ? null : leader.getAddress();
  }

  /** This server's place among the group's other peers but the leader, ordered by id: 0 goes first. */
  static int rank(RaftServer.Division d, RaftPeerId leaderId) {
    String self = d.getId().toString();
    int rank = 0;
    for (RaftPeer p : d.getGroup().getPeers()) {
      String id = p.getId().toString();
      if (!p.getId().equals(leaderId) && id.compareTo(self) < 0) {
        rank++;
      }
    }
    return rank;
  }

  /** Whether the address actively refuses a TCP connection (nothing listens there); false for anything else. */
  static boolean refused(String address) {
    InetSocketAddress target = LeaderLines.parse(address);
    if (target == null) {
      return false;
    }
    try (Socket s = new Socket()) {
      s.connect(target, CONNECT_TIMEOUT_MS);
      return false;
    } catch (ConnectException e) {
      return e.getMessage() != null && e.getMessage().contains("refused");
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
    lines.close();
  }
}
