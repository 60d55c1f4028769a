package io.kvpipe.node.status;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Whether a kv-node is ready to serve, judged from its replicas' states: every hosted group has a known leader, this
 * replica has applied what it knows committed (within {@code maxApplyLag} entries: a replica replaying its log or
 * installing a snapshot is not ready), and a group this node leads with CDC on has a publisher running that holds a
 * connection to Kafka. Pure: the node supplies the states.
 */
public final class Readiness {
  /** One check's outcome; {@code detail} says why it failed, or what it saw. */
  public record Check(String name, boolean ok, String detail) {}

  /** The verdict and every check behind it. */
  public record Result(boolean ready, List<Check> checks) {
    public List<String> problems() {
      return checks.stream().filter(c -> !c.ok()).map(c -> c.name() + ": " + c.detail()).toList();
    }

    /** The body of {@code GET /ready}: {@code {"status","checks":{name:{"ok","detail"}},"problems":[...]}}. */
    public Map<String, Object> toJson() {
      Map<String, Object> checkMap = new LinkedHashMap<>();
      for (Check c : checks) {
        checkMap.put(c.name(), Map.of("ok", c.ok(), "detail", c.detail()));
      }
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("status", ready ? "ready" : "not ready");
      out.put("checks", checkMap);
      out.put("problems", problems());
      return out;
    }
  }

  /**
   * Entries a replica may have committed but not applied and still count as caught up. A leader under full write load
   * applies a few hundred entries behind its commit index at worst; a restarting replica replays far more.
   */
  public static final long DEFAULT_MAX_APPLY_LAG = 1000;

  private Readiness() {}

  public static Result evaluate(boolean serverRunning, List<ReplicaState> replicas, long maxApplyLag) {
    List<Check> checks = new ArrayList<>();
    checks.add(new Check("raft-server", serverRunning, serverRunning ? "running" : "not running"));
    for (ReplicaState r : replicas) {
      checks.add(check(r, maxApplyLag));
    }
    return new Result(checks.stream().allMatch(Check::ok), checks);
  }

  static Check check(ReplicaState r, long maxApplyLag) {
    String name = "group " + r.group();
    if (r.down() != null) {
      return new Check(name, false, r.down());
    }
    if (r.leader() == null) {
      return new Check(name, false, "no known leader (this replica is " + r.role() + ", term " + r.term() + ")");
    }
    long behind = r.commitIndex() - r.appliedIndex();
    if (behind > maxApplyLag) {
      return new Check(name, false, "applied log index " + r.appliedIndex() + " is " + behind
          + " entries behind the commit index " + r.commitIndex() + " (at most " + maxApplyLag + ")");
    }
    ReplicaState.Cdc cdc = r.cdc();
    if ("leader".equals(r.role()) && cdc != null && cdc.enabled()) {
      if (!cdc.publishing()) {
        return new Check(name, false, "leader here, but its CDC publisher is not running");
      }
      if (cdc.kafkaProblem() != null) {
        return new Check(name, false, "leader here, but its CDC publisher cannot reach Kafka: " + cdc.kafkaProblem());
      }
    }
    return new Check(name, true, r.role() + ", leader " + r.leader() + ", applied " + r.appliedIndex() + " of "
        + r.commitIndex() + " committed");
  }
}
