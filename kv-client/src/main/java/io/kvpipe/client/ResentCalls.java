package io.kvpipe.client;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import org.apache.ratis.client.retry.ClientRetryEvent;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.retry.RetryPolicy;

/**
 * Which requests the Ratis client has resent. A leader that is handing over its leadership answers a write with
 * LeaderSteppingDownException before it looks the request up in its retry cache or logs it: for a request sent once,
 * that proves the write was not applied and it may be sent again as a new request; for a resent one, an earlier
 * attempt may have been logged (the client timed out on it), so its outcome is unknown. Ratis consults the retry
 * policy for every attempt that failed without an answer, which is exactly the case to remember.
 *
 * <p>Requests are told apart by their message object (Ratis carries the caller's object in every attempt; the call id
 * is not visible to the caller when the answer is an exception). Thread-safe; the caller forgets each message when its
 * request completed ({@link #forget}).
 */
public final class ResentCalls {
  private final Set<Message> resent = Collections.synchronizedSet(Collections.newSetFromMap(new IdentityHashMap<>()));

  /** {@code policy}, noting each request it is asked about (and so may resend). */
  public RetryPolicy noting(RetryPolicy policy) {
    return new RetryPolicy() {
      @Override
      public Action handleAttemptFailure(Event event) {
        if (event instanceof ClientRetryEvent e) {
          resent.add(e.getRequest().getMessage());
        }
        return policy.handleAttemptFailure(event);
      }

      @Override
      public String toString() {
        return policy.toString();
      }
    };
  }

  /** How many requests are remembered now. */
  public int size() {
    return resent.size();
  }

  /** True if the request carrying {@code message} may have reached a server more than once; forgets it. */
  public boolean forget(Message message) {
    return resent.remove(message);
  }
}
