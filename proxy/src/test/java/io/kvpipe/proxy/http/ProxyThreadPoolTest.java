package io.kvpipe.proxy.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.common.wire.RequestId;
import java.lang.reflect.Proxy;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.io.Connection;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

class ProxyThreadPoolTest {
  private final ProxyThreadPool pool = new ProxyThreadPool(8, 2);

  @BeforeEach
  void start() throws Exception {
    pool.start();
  }

  @AfterEach
  void stop() throws Exception {
    MDC.remove(RequestId.LOG_KEY);
    pool.stop();
  }

  /** A Jetty connection that is also a job, as HttpConnection is when Jetty resumes it. */
  private static Runnable connectionJob(Runnable body) {
    return (Runnable) Proxy.newProxyInstance(ProxyThreadPoolTest.class.getClassLoader(),
        new Class<?>[] {Connection.class, Runnable.class}, (proxy, method, args) -> {
          if (method.getName().equals("run")) {
            body.run();
          }
          return null;
        });
  }

  @Test
  void aResumedConnectionRunsOnTheCallingThread() throws Exception {
    CompletableFuture<Thread> ranOn = new CompletableFuture<>();
    pool.execute(connectionJob(() -> ranOn.complete(Thread.currentThread())));
    assertThat(ranOn.get(5, TimeUnit.SECONDS)).isSameAs(Thread.currentThread());
  }

  @Test
  void otherJobsGoToThePool() throws Exception {
    CompletableFuture<Thread> ranOn = new CompletableFuture<>();
    pool.execute(() -> ranOn.complete(Thread.currentThread()));
    assertThat(ranOn.get(5, TimeUnit.SECONDS)).isNotSameAs(Thread.currentThread());
  }

  @Test
  void aThreadWorkingOnARequestHandsTheConnectionToThePool() throws Exception {
    MDC.put(RequestId.LOG_KEY, "r1");
    CompletableFuture<Thread> ranOn = new CompletableFuture<>();
    pool.execute(connectionJob(() -> ranOn.complete(Thread.currentThread())));
    assertThat(ranOn.get(5, TimeUnit.SECONDS)).isNotSameAs(Thread.currentThread());
  }

  @Test
  void aConnectionResumedWhileResumingAnotherGoesToThePool() throws Exception {
    CompletableFuture<Thread> inner = new CompletableFuture<>();
    CompletableFuture<Thread> outer = new CompletableFuture<>();
    pool.execute(connectionJob(() -> {
      outer.complete(Thread.currentThread());
      pool.execute(connectionJob(() -> inner.complete(Thread.currentThread())));
    }));
    assertThat(outer.get(5, TimeUnit.SECONDS)).isSameAs(Thread.currentThread());
    assertThat(inner.get(5, TimeUnit.SECONDS)).isNotSameAs(Thread.currentThread());
    // The guard is reset afterwards: the next resumption on this thread runs inline again.
    CompletableFuture<Thread> next = new CompletableFuture<>();
    pool.execute(connectionJob(() -> next.complete(Thread.currentThread())));
    assertThat(next.get(5, TimeUnit.SECONDS)).isSameAs(Thread.currentThread());
  }

  @Test
  void aConnectionThatThrowsDoesNotFailTheCaller() {
    pool.execute(connectionJob(() -> {
      throw new IllegalStateException("boom");
    }));
  }
}
