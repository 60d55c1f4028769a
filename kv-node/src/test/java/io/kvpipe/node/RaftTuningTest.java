package io.kvpipe.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.retry.RetryPolicy;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.junit.jupiter.api.Test;

/** The Ratis settings a replica runs with, read back the way Ratis reads them. */
class RaftTuningTest {
  /**
   * The leader's wait before its next AppendEntries to a follower after N errors in a row (Ratis parses the setting
   * as each appender starts): a follower that was down a few seconds (a restart) must be tried again within ~100 ms,
   * not once a second as with Ratis's default, and one down for long not only every 5 s.
   */
  @Test
  void aFollowerBackFromAShortOutageIsTriedAgainWithinATenthOfASecond() {
    RaftProperties p = new RaftProperties();
    RaftTuning.apply(p, 100_000, 2 << 20, 1 << 20);
    RetryPolicy policy = RetryPolicy.parse(RaftServerConfigKeys.Log.Appender.retryPolicy(p),
        RaftServerConfigKeys.Log.Appender.RETRY_POLICY_KEY);
    assertThat(waitMs(policy, 5)).isLessThanOrEqualTo(2);
    for (int errors : new int[] {11, 20, 40, 59}) {
      // Ratis randomises each wait within +-50%.
      assertThat(waitMs(policy, errors)).as("after %d errors", errors).isLessThanOrEqualTo(150);
    }
    assertThat(waitMs(policy, 500)).as("a follower down for long").isLessThanOrEqualTo(1_500);
  }

  private static long waitMs(RetryPolicy policy, int errors) {
    RetryPolicy.Action a = policy.handleAttemptFailure(() -> errors);
    assertThat(a.shouldRetry()).isTrue();
    return a.getSleepTime().toLong(TimeUnit.MILLISECONDS);
  }
}
