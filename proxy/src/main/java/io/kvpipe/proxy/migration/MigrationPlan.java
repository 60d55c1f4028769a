package io.kvpipe.proxy.migration;

import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.ring.HashRange;
import io.kvpipe.common.ring.HashRanges;
import io.kvpipe.common.topology.RingSpec;
import io.kvpipe.common.topology.Topology;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * What a ring change moves: from {@code previousRing} at {@code fromEpoch} to {@code nextRing} at {@code toEpoch}, the
 * ranges each (source, target) pair hands over, {@code R_old.rangesOf(s) ∩ R_new.rangesOf(t)} for s != t. Pure and
 * deterministic: every proxy derives the same plan from the same record, so only the two rings are stored.
 */
public record MigrationPlan(RingSpec previousRing, long fromEpoch, RingSpec nextRing, long toEpoch,
                            List<Transfer> transfers) {

  /** One pair's moving ranges. */
  public record Transfer(String source, String target, HashRanges ranges) {
    /** The pair's name in the record's attributes. */
    public String key() {
      return source + ">" + target;
    }
  }

  public MigrationPlan {
    transfers = List.copyOf(transfers);
  }

  public static MigrationPlan between(RingSpec previousRing, long fromEpoch, RingSpec nextRing, long toEpoch) {
    if (toEpoch <= fromEpoch) {
      throw new IllegalArgumentException("the new epoch must be above " + fromEpoch);
    }
    Map<String, HashRanges> before = previousRing.toRing().ownership();
    Map<String, HashRanges> after = nextRing.toRing().ownership();
    List<Transfer> transfers = new ArrayList<>();
    for (String s : new TreeSet<>(before.keySet())) {
      for (String t : new TreeSet<>(after.keySet())) {
        if (s.equals(t)) {
          continue;
        }
        HashRanges moving = before.get(s).intersect(after.get(t));
        if (!moving.isEmpty()) {
          transfers.add(new Transfer(s, t, moving));
        }
      }
    }
    return new MigrationPlan(previousRing, fromEpoch, nextRing, toEpoch, transfers);
  }

  /** Adds {@code group} to the ring of {@code t} at the next epoch. */
  public static MigrationPlan addGroup(Topology t, String group) {
    requireBootstrapped(t);
    if (t.ringMembers().contains(group)) {
      throw new KvException(ErrorCode.CONFLICT, "group " + group + " is already on the ring");
    }
    List<String> members = new ArrayList<>(t.ringMembers());
    members.add(group);
    return between(t.ring(), t.epoch(), new RingSpec(t.ring().vnodes(), members), t.epoch() + 1);
  }

  /**
   * Drains {@code group}: its ranges go to the remaining members. A group that is known but off the ring gives a plan
   * that moves nothing (its migration only removes it from the topology).
   */
  public static MigrationPlan removeGroup(Topology t, String group) {
    requireBootstrapped(t);
    if (t.group(group).isEmpty()) {
      throw new KvException(ErrorCode.UNKNOWN_GROUP, "unknown group " + group);
    }
    List<String> members = new ArrayList<>(t.ringMembers());
    members.remove(group);
    if (members.isEmpty()) {
      throw new KvException(ErrorCode.CONFLICT, "group " + group + " is the last group on the ring");
    }
    return between(t.ring(), t.epoch(), new RingSpec(t.ring().vnodes(), members), t.epoch() + 1);
  }

  /** The plan that undoes this one (cancel): the rings swapped, one epoch further. */
  public MigrationPlan inverse() {
    return between(nextRing, toEpoch, previousRing, toEpoch + 1);
  }

  public List<String> sources() {
    return transfers.stream().map(Transfer::source).distinct().sorted().toList();
  }

  public List<String> targets() {
    return transfers.stream().map(Transfer::target).distinct().sorted().toList();
  }

  /** Every group of either ring: all of them are fenced at {@code toEpoch}, so no group is left a version behind. */
  public List<String> groups() {
    LinkedHashSet<String> all = new LinkedHashSet<>(previousRing.members());
    all.addAll(nextRing.members());
    return List.copyOf(new TreeSet<>(all));
  }

  /** The ranges {@code group} owns from {@code toEpoch} on (empty for a group that leaves the ring). */
  public HashRanges rangesAfter(String group) {
    return nextRing.toRing().ownership().getOrDefault(group, HashRanges.EMPTY);
  }

  /** Groups that gain nothing: fenced first, so no key is writable in two groups at the new epoch. */
  public List<String> fenceFirst() {
    List<String> targets = targets();
    return groups().stream().filter(g -> !targets.contains(g)).toList();
  }

  /** Groups that gain ranges: fenced once every group giving ranges away refuses them. */
  public List<String> fenceSecond() {
    return targets();
  }

  /** Everything {@code target} receives, from all sources. */
  public HashRanges receivedBy(String target) {
    HashRanges r = HashRanges.EMPTY;
    for (Transfer t : transfers) {
      if (t.target().equals(target)) {
        r = r.union(t.ranges());
      }
    }
    return r;
  }

  /** Fraction of the ring that changes owner. */
  public double movedFraction() {
    long w = 0;
    for (Transfer t : transfers) {
      w += t.ranges().width();
    }
    return (double) w / HashRange.RING_SIZE;
  }

  private static void requireBootstrapped(Topology t) {
    if (!t.isBootstrapped()) {
      throw new KvException(ErrorCode.UNAVAILABLE, "the topology is not bootstrapped yet");
    }
  }
}
