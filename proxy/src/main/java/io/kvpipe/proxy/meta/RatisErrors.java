package io.kvpipe.proxy.meta;

import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.apache.ratis.protocol.exceptions.StateMachineException;

/** Turns whatever a Ratis client call failed with into the one cross-module exception. */
public final class RatisErrors {
  private RatisErrors() {}

  public static KvException toKv(Throwable t, String what) {
    Throwable e = unwrap(t);
    if (e instanceof KvException kv) {
      return kv;
    }
    if (e instanceof TimeoutException || e instanceof org.apache.ratis.protocol.exceptions.TimeoutIOException) {
      return new KvException(ErrorCode.TIMEOUT, what + " timed out", e);
    }
    if (e instanceof StateMachineException sme) {
      Throwable cause = sme.getCause();
      return cause instanceof KvException kv ? kv
          : new KvException(ErrorCode.MALFORMED_REQUEST, what + " refused: " + sme.getMessage(), e);
    }
    return new KvException(ErrorCode.UNAVAILABLE, what + " failed: " + e, e);
  }

  public static Throwable unwrap(Throwable t) {
    Throwable e = t;
    while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
      e = e.getCause();
    }
    return e;
  }
}
