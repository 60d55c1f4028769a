package io.kvpipe.proxy.http;

import io.kvpipe.common.wire.RequestId;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.MDC;

/**
 * Every request carries an id, answered in the {@code X-Request-Id} response header and written to the access log, so a
 * caller's report and the proxy's log can be matched. A caller's own id (from a load balancer or a tracing client) is
 * kept when it is short and plain ({@link RequestId}); anything else is replaced rather than echoed, since it would land
 * in logs as is. While the proxy works on a request its id is the MDC's {@code request_id}: the proxy's log lines carry
 * it, and the group client sends it with each operation to the kv-nodes, whose log lines about the operation name it.
 * Work that continues on another thread (a body read, a retry, a pipelined RESP command) takes it along with
 * {@link #bind} or {@link #with}.
 */
public final class RequestIds {
  public static final String HEADER = "X-Request-Id";
  static final int MAX_LENGTH = RequestId.MAX_LENGTH;

  private RequestIds() {}

  /** {@code given} if it is 1..64 characters of letters, digits and {@code . _ : -}; otherwise a new random id. */
  public static String of(String given) {
    return RequestId.isPlain(given) ? given : newId();
  }

  /**
   * A new id: 16 hex digits (64 random bits), unique enough to find one request in a day of logs, and short since
   * every operation carries it into the Raft log.
   */
  public static String newId() {
    return Long.toHexString(ThreadLocalRandom.current().nextLong() | Long.MIN_VALUE);
  }

  /** The id of the request this thread works on (null outside one). */
  public static String current() {
    return MDC.get(RequestId.LOG_KEY);
  }

  /** Runs {@code body} as work on the request {@code id} (null: as is), then restores the thread's previous id. */
  public static <T> T with(String id, Supplier<T> body) {
    if (id == null) {
      return body.get();
    }
    String before = MDC.get(RequestId.LOG_KEY);
    if (id.equals(before)) {
      return body.get();
    }
    MDC.put(RequestId.LOG_KEY, id);
    try {
      return body.get();
    } finally {
      if (before == null) {
        MDC.remove(RequestId.LOG_KEY);
      } else {
        MDC.put(RequestId.LOG_KEY, before);
      }
    }
  }

  public static void run(String id, Runnable body) {
    with(id, () -> {
      body.run();
      return null;
    });
  }

  /** {@code f} bound to the current request: run later on any thread, it works on this request's id. */
  public static <A, T> Function<A, T> bind(Function<A, T> f) {
    String id = current();
    return id == null ? f : a -> with(id, () -> f.apply(a));
  }
}
