package io.kvpipe.client;

import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.error.OutcomeUnknownException;
import io.kvpipe.common.wire.RejectedRequestException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.apache.ratis.protocol.exceptions.AlreadyClosedException;
import org.apache.ratis.protocol.exceptions.GroupMismatchException;
import org.apache.ratis.protocol.exceptions.LeaderNotReadyException;
import org.apache.ratis.protocol.exceptions.LeaderSteppingDownException;
import org.apache.ratis.protocol.exceptions.NotLeaderException;
import org.apache.ratis.protocol.exceptions.RaftRetryFailureException;
import org.apache.ratis.protocol.exceptions.ReadIndexException;
import org.apache.ratis.protocol.exceptions.ResourceUnavailableException;
import org.apache.ratis.protocol.exceptions.StaleReadException;
import org.apache.ratis.protocol.exceptions.StateMachineException;
import org.apache.ratis.protocol.exceptions.TimeoutIOException;

/** Translates what the Ratis client throws into the one cross-module exception, {@link KvException}. */
public final class RaftErrors {
  private RaftErrors() {}

  /** {@code group} names the group the call went to, for the message. */
  public static KvException toKvException(Throwable t, String group) {
    Throwable e = unwrap(t);
    if (e instanceof KvException kv) {
      return kv;
    }
    if (e instanceof AlreadyClosedException && e.getCause() != null && e.getCause() != e) {
      // The pipeline was closed by an earlier failure; that failure is the real reason.
      return toKvException(e.getCause(), group);
    }
    if (e instanceof StateMachineException sme) {
      if (sme.getCause() instanceof RejectedRequestException rejected) {
        return rejected.toKvException();
      }
      if (sme.getCause() instanceof StaleReadException stale) {
        // A replica that has not caught up (e.g. just restarted): another replica, or later, may answer.
        return new KvException(ErrorCode.UNAVAILABLE, "group " + group + ": " + stale.getMessage(), e);
      }
      // Our state machine raises exceptions only from validation, before an entry is logged (apply answers refusals
      // as replies), so this too is a refusal of a request that never happened.
      return new RejectedRequestException(stripServerPrefix(sme.getMessage())).toKvException();
    }
    if (e instanceof GroupMismatchException) {
      return new KvException(ErrorCode.UNKNOWN_GROUP, "no replica hosts group " + group + ": " + e.getMessage(), e);
    }
    if (e instanceof RaftRetryFailureException) {
      Throwable cause = e.getCause();
      if (cause instanceof TimeoutIOException) {
        return new KvException(ErrorCode.TIMEOUT, "group " + group + " did not answer in time: " + cause, e);
      }
      return new KvException(ErrorCode.NO_LEADER, "group " + group + " has no reachable leader: " + cause, e);
    }
    if (e instanceof NotLeaderException || e instanceof LeaderNotReadyException || e instanceof ReadIndexException) {
      return new KvException(ErrorCode.NO_LEADER, "group " + group + ": " + e.getMessage(), e);
    }
    if (e instanceof TimeoutIOException || e instanceof java.util.concurrent.TimeoutException) {
      return new KvException(ErrorCode.TIMEOUT, "group " + group + " did not answer in time: " + e.getMessage(), e);
    }
    if (e instanceof ResourceUnavailableException || e instanceof AlreadyClosedException) {
      return new KvException(ErrorCode.UNAVAILABLE, "group " + group + ": " + e.getMessage(), e);
    }
    if (e instanceof java.io.IOException) {
      return new KvException(ErrorCode.UNAVAILABLE, "group " + group + ": " + e, e);
    }
    return new KvException(ErrorCode.INTERNAL, "group " + group + ": " + e, e);
  }

  /**
   * What the failure {@code kv} of a write means to its caller: a definite refusal, or an
   * {@link OutcomeUnknownException} when an attempt may have been logged. {@code raw} is what Ratis failed the call
   * with (unwrapped; null when the group answered with a refusal reply), {@code resentByRatis} whether Ratis sent the
   * write more than once ({@link ResentCalls}). Only the group's own refusals prove nothing was applied: a reply, a
   * state machine refusal (checked before logging, and a resend is looked up in the retry cache first), and a
   * server's refusal of a write sent once. A resent write that ends in anything else may have been logged by an
   * earlier attempt; a timeout, a closed client, a lost connection or an unexpected error may hide a logged one.
   */
  public static KvException ofWrite(KvException kv, Throwable raw, boolean resentByRatis, String group) {
    return ofWrite(kv, raw, resentByRatis, group, "read the key before writing it again");
  }

  /** As {@link #ofWrite(KvException, Throwable, boolean, String)}; {@code howToLearn} tells the caller how to settle it. */
  public static KvException ofWrite(KvException kv, Throwable raw, boolean resentByRatis, String group,
                                    String howToLearn) {
    if (kv instanceof OutcomeUnknownException || raw == null || raw instanceof StateMachineException) {
      // Unknown already (the group's TIMEOUT answer, rebuilt by RejectedRequestException), or the group's refusal.
      return kv;
    }
    if (raw instanceof LeaderSteppingDownException && resentByRatis) {
      return new OutcomeUnknownException(ErrorCode.UNAVAILABLE, "group " + group + ": the leader stepped down while"
          + " the write was being resent; whether it was applied is unknown: " + howToLearn, raw);
    }
    boolean refusedBeforeLogging = raw instanceof LeaderSteppingDownException || raw instanceof GroupMismatchException
        || raw instanceof NotLeaderException || raw instanceof LeaderNotReadyException
        || raw instanceof ResourceUnavailableException;
    if (refusedBeforeLogging && !resentByRatis && kv.code() != ErrorCode.TIMEOUT) {
      return kv;
    }
    return OutcomeUnknownException.of(kv);
  }

  /** Strips the CompletionException/ExecutionException wrappers futures add. */
  public static Throwable unwrap(Throwable t) {
    Throwable e = t;
    while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
      e = e.getCause();
    }
    return e;
  }

  /** A StateMachineException's message is "{class} from Server {id}: {cause message}"; keep the cause message. */
  private static String stripServerPrefix(String message) {
    if (message == null) {
      return "";
    }
    int i = message.indexOf(" from Server ");
    if (i < 0) {
      return message;
    }
    int colon = message.indexOf(": ", i);
    return colon < 0 ? message : message.substring(colon + 2);
  }
}
