package io.kvpipe.node.raft;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
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
 * <p>Every {@link #PERIOD}, each follower division that has heard nothing from its leader for the minimum election
 * timeout (so the other followers would no longer refuse their vote for having a valid leader) connects to the
 * leader's Raft port. Only a refused connection counts — the port is closed, the process is gone. A timeout or any
 * other failure proves nothing (a paused or unreachable leader) and is left to Ratis's own timer, as is everything
 * else. The election itself is Ratis's ordinary one, pre-vote first (see {@link KvpipeElections}).
 */
public final class DeadLeaderWatch implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DeadLeaderWatch.class);
  static final Duration PERIOD = Duration.ofMillis(20);
  private static final int CONNECT_TIMEOUT_MS = 100;
  /** Between one follower's start and the next one's: a pre-vote and a vote round on an unloaded box, with room. */
  static final Duration STAGGER = Duration.ofMillis(100);

  private final RaftServer server;
  private final long minSilenceMs;
  private final ScheduledExecutorService timer;
  /** The leader silence at which each group last probed, so one silence is probed once, not every period. */
  private final Map<RaftGroupId, Long> probedAt = new ConcurrentHashMap<>();

  /** On unless the environment sets {@code KVPIPE_DEAD_LEADER_WATCH=off}: to compare failovers with and without it. */
  public static boolean enabled() {
    return !"off".equalsIgnoreCase(System.getenv().getOrDefault("KVPIPE_DEAD_LEADER_WATCH", "on"));
  }

  public DeadLeaderWatch(RaftServer server) {
    this.server = server;
    this.minSilenceMs = RaftServerConfigKeys.Rpc.timeoutMin(server.getProperties()).toLong(TimeUnit.MILLISECONDS);
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "kvpipe-dead-leader-watch");
      t.setDaemon(true);
      return t;
    });
  }

  public DeadLeaderWatch start() {
    timer.scheduleWithFixedDelay(this::checkAll, PERIOD.toMillis(), PERIOD.toMillis(), TimeUnit.MILLISECONDS);
    return this;
  }

  private void checkAll() {
    try {
      for (RaftGroupId gid : server.getGroupIds()) {
        check(server.getDivision(gid));
      }
    } catch (IOException | RuntimeException e) {
      // A group being added or removed; the next period sees the new set. Never let the timer die.
      LOG.debug("dead-leader check skipped", e);
    }
  }

  private void check(RaftServer.Division d) {
    RaftGroupId gid = d.getGroup().getGroupId();
    long silence = KvpipeElections.leaderSilenceMs(d);
    RaftPeerId leaderId = d.getInfo().getLeaderId();
    RaftPeer leader = leaderId == null ? null : d.getGroup().getPeer(leaderId);
    if (silence < minSilenceMs || leader == null || leader.getAddress() == null) {
      probedAt.remove(gid);
      return;
    }
    // Every follower sees the same silence within milliseconds; started together, their elections split the vote
    // (measured: both pass pre-vote, both are rejected, ~1 s lost to the next timer). So they go one after another.
    if (silence < minSilenceMs + STAGGER.toMillis() * rank(d, leaderId)) {
      return;
    }
    Long last = probedAt.get(gid);
    // Probe a silence again only after another minimum timeout: a leader that timed out once is not refused later.
    if (last != null && silence - last < minSilenceMs) {
      return;
    }
    if (!refused(leader.getAddress())) {
      probedAt.put(gid, silence);
      return;
    }
    // Refused but not started (an append in progress): asked again next period.
    if (KvpipeElections.startElection(d, minSilenceMs)) {
      LOG.info("group {}: leader {} refuses connections after {} ms without a heartbeat: its process is gone,"
          + " starting an election now", gid, leaderId, silence);
    }
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
    int colon = address.lastIndexOf(':');
    if (colon < 0) {
      return false;
    }
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(address.substring(0, colon), Integer.parseInt(address.substring(colon + 1))),
          CONNECT_TIMEOUT_MS);
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
  }
}
