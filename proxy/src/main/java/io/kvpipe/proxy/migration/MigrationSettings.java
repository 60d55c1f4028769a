package io.kvpipe.proxy.migration;

import java.time.Duration;

/**
 * How the coordinator paces itself.
 *
 * @param leaseTimeout      a migration whose coordinator has not heartbeaten for this long is taken over
 * @param heartbeatInterval how often a running coordinator renews its lease and saves progress (also how quickly a
 *                          PATCHed throttle or a cancel takes effect)
 * @param logInterval       how often progress is logged
 * @param maxBackoff        longest wait between retries of a failing step
 * @param setPeersTimeout   deadline of one Raft membership change attempt (a new peer may need to catch up)
 */
public record MigrationSettings(Duration leaseTimeout, Duration heartbeatInterval, Duration logInterval,
                                Duration maxBackoff, Duration setPeersTimeout) {
  public static final MigrationSettings DEFAULTS = new MigrationSettings(Duration.ofSeconds(5), Duration.ofSeconds(1),
      Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofSeconds(60));

  public MigrationSettings {
    for (Duration d : new Duration[] {leaseTimeout, heartbeatInterval, logInterval, maxBackoff, setPeersTimeout}) {
      if (d == null || d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException("migration durations must be positive");
      }
    }
    if (heartbeatInterval.compareTo(leaseTimeout) >= 0) {
      throw new IllegalArgumentException("the heartbeat interval must be shorter than the lease timeout");
    }
  }
}
