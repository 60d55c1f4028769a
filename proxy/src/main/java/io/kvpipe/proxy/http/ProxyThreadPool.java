package io.kvpipe.proxy.http;

import io.kvpipe.common.wire.RequestId;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Jetty's thread pool for the proxy's listener, with one difference: a connection handed to it to be resumed runs at
 * once on the calling thread instead of waking a pool thread.
 *
 * <p>Why: every route completes its exchange asynchronously, on the thread that got the group's reply (ProxyHandler).
 * When an HTTP/1.1 response completes after the handler returned, Jetty resumes the connection (read the next request)
 * by handing the {@code HttpConnection} itself to the executor. Under load that was one pool thread woken, run and
 * parked again per request: profiled at c=64 (async-profiler, cpu), the pool threads' parking and waking and the
 * context switches around them were ~15% of the proxy's CPU, for a job that mostly reads nothing (the client has not
 * sent its next request yet) and asks the selector to watch the socket again. Running it on the completing thread does
 * the same work without the hand-off. That is safe because what it may run is non-blocking: the read, Jetty's parsing,
 * and the proxy's handler, which never waits (ProxyHandler is declared non-blocking and Jetty already runs it on its
 * selector thread). The completing thread is usually a group client's reply thread ({@code kv-client-*-replies}): a
 * handler that blocked there could hold up replies, which is why the handler's never-wait rule (group commit keeps a
 * group's requests in flight far below the Ratis window, calls that must wait go to the blocking executor) matters
 * here as it already did on the selector thread.
 *
 * <p>Only connections are run inline (the selector's and acceptors' own jobs, which block in select/accept, and any
 * other task still go to the pool); only on a thread that is not working on a request (no request id in its MDC): the
 * next request must not run in another's request id, nor in the deadline scope a group call's start holds
 * ({@code CallerDeadline}, always entered under a request id); and only one level deep per thread: a resumed
 * connection whose handler completes another exchange at once (a refusal) hands that one's resumption to the pool, so
 * no chain of connections can grow a thread's stack.
 */
public final class ProxyThreadPool extends QueuedThreadPool {
  private static final Logger LOG = LoggerFactory.getLogger(ProxyThreadPool.class);
  /** Whether this thread is running a resumed connection now (a one-element array: no boxing per request). */
  private static final ThreadLocal<boolean[]> RESUMING = ThreadLocal.withInitial(() -> new boolean[1]);

  public ProxyThreadPool(int maxThreads, int minThreads) {
    super(maxThreads, minThreads);
  }

  @Override
  public void execute(Runnable job) {
    if (!(job instanceof Connection) || !isRunning()) {
      super.execute(job);
      return;
    }
    boolean[] resuming = RESUMING.get();
    if (resuming[0] || MDC.get(RequestId.LOG_KEY) != null) {
      super.execute(job);
      return;
    }
    resuming[0] = true;
    try {
      job.run();
    } catch (Throwable t) {
      // As the pool does for a job that throws: the connection's own failure handling has run, the caller goes on.
      LOG.warn("resuming {} failed", job, t);
    } finally {
      resuming[0] = false;
    }
  }
}
