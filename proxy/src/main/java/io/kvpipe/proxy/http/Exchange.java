package io.kvpipe.proxy.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.topology.TopologyCodec;
import io.kvpipe.proxy.ProxyMetrics;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Promise;
import org.eclipse.jetty.util.thread.Invocable.InvocationType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One HTTP request in flight: its Jetty request/response/callback, the matched route, and the single completion that
 * writes the response and records its metric. Handlers may complete it from any thread, exactly once; later
 * completions are ignored (e.g. a timeout racing a late reply).
 */
public final class Exchange {
  private static final Logger LOG = LoggerFactory.getLogger(Exchange.class);
  private static final HttpField JSON = new HttpField(HttpHeader.CONTENT_TYPE, "application/json");
  private static final HttpField OCTETS = new HttpField(HttpHeader.CONTENT_TYPE, "application/octet-stream");

  private final Request request;
  private final Response response;
  private final Callback callback;
  private final ProxyMetrics metrics;
  private final long startNanos;
  private final String requestId;
  private final AtomicBoolean done = new AtomicBoolean();
  private volatile boolean bodyRead;
  /** The largest unread request body read and dropped before an answer, instead of closing the connection. */
  static final long SWALLOW_BYTES = 64 * 1024;
  private String route = "unknown";
  private String tail = "";

  Exchange(Request request, Response response, Callback callback, ProxyMetrics metrics) {
    this.request = request;
    this.response = response;
    this.callback = callback;
    this.metrics = metrics;
    this.startNanos = System.nanoTime();
    this.requestId = RequestIds.of(request.getHeaders().get(RequestIds.HEADER));
  }

  /** This request's id (the caller's X-Request-Id if plain, else a new one), answered in the same header. */
  public String requestId() {
    return requestId;
  }

  public Request request() {
    return request;
  }

  public Response response() {
    return response;
  }

  public String method() {
    return request.getMethod();
  }

  public String header(HttpHeader h) {
    return request.getHeaders().get(h);
  }

  public String header(String name) {
    return request.getHeaders().get(name);
  }

  public String query() {
    return request.getHttpURI().getQuery();
  }

  /** The raw (still percent-encoded) path after the route's prefix. */
  public String tail() {
    return tail;
  }

  public long startNanos() {
    return startNanos;
  }

  void route(String name, String pathTail) {
    this.route = name;
    this.tail = pathTail;
  }

  public boolean isDone() {
    return done.get();
  }

  /**
   * Reads the whole body (at most {@code max} bytes) and hands it to {@code then}; a larger body is 413, a failed read
   * 400. {@code then} runs on a Jetty thread and must not block.
   */
  public void readBody(long max, Consumer<byte[]> then) {
    long declared = request.getLength();
    if (declared > max) {
      fail(new KvException(ErrorCode.VALUE_TOO_LARGE, "request body is " + declared + " bytes; the limit is " + max));
      return;
    }
    int limit = (int) Math.min(Integer.MAX_VALUE - 8, max);
    // NON_BLOCKING: the continuation only queues the operation in a group client (see ProxyHandler).
    Content.Source.asByteArrayAsync(request, limit, Promise.Invocable.from(InvocationType.NON_BLOCKING, (body, err) -> {
      bodyRead = err == null;
      if (err != null) {
        fail(err instanceof IllegalArgumentException || String.valueOf(err.getMessage()).contains("too large")
            ? new KvException(ErrorCode.VALUE_TOO_LARGE, "request body exceeds " + max + " bytes")
            : new KvException(ErrorCode.MALFORMED_REQUEST, "cannot read the request body: " + err.getMessage()));
        return;
      }
      RequestIds.run(requestId, () -> {
        try {
          then.accept(body);
        } catch (KvException e) {
          fail(e);
        } catch (RuntimeException e) {
          failInternal(e);
        }
      });
    }));
  }

  public void sendBytes(int status, byte[] body, HttpField... headers) {
    send(status, OCTETS, body, headers);
  }

  public void sendRawJson(int status, byte[] json, HttpField... headers) {
    send(status, JSON, json, headers);
  }

  public void sendJson(int status, Object value) {
    byte[] json;
    try {
      json = TopologyCodec.json().writeValueAsBytes(value);
    } catch (JsonProcessingException e) {
      failInternal(e);
      return;
    }
    sendRawJson(status, json);
  }

  public void sendEmpty(int status, HttpField... headers) {
    send(status, null, null, headers);
  }

  public void fail(KvException e) {
    failWith(e, new HttpField[0]);
  }

  /**
   * Answers with {@code e}'s status and JSON body plus {@code extra} headers (e.g. Allow for 405); Retry-After on a
   * 503 unless the outcome of the write is unknown ({@link ApiError}).
   */
  public void failWith(KvException e, HttpField[] extra) {
    int status = ApiError.status(e.code());
    int retryAfter = ApiError.retryAfterSeconds(e);
    HttpField[] headers = java.util.Arrays.copyOf(extra, extra.length + 1);
    if (status == 401) {
      headers[extra.length] = new HttpField(HttpHeader.WWW_AUTHENTICATE, "Bearer");
    } else if (retryAfter > 0) {
      headers[extra.length] = new HttpField(HttpHeader.RETRY_AFTER, Integer.toString(retryAfter));
    } else {
      headers = extra;
    }
    send(status, JSON, ApiError.body(e), headers);
  }

  /** Any failure: KvExceptions keep their code, anything else is logged and answered 500. */
  public void fail(Throwable t) {
    Throwable e = io.kvpipe.client.RaftErrors.unwrap(t);
    if (e instanceof KvException kv) {
      fail(kv);
    } else {
      failInternal(e);
    }
  }

  private void failInternal(Throwable e) {
    // Explicit: this may run on any thread, with or without the request's MDC.
    LOG.atError().addKeyValue(io.kvpipe.common.wire.RequestId.LOG_KEY, requestId).setCause(e)
        .log("{} {} failed request_id={}", method(), route, requestId);
    fail(new KvException(ErrorCode.INTERNAL, "internal error: " + e.getClass().getSimpleName()));
  }

  private void send(int status, HttpField contentType, byte[] body, HttpField... headers) {
    if (!done.compareAndSet(false, true)) {
      return;
    }
    long declared = bodyRead ? 0 : request.getLength();
    if (declared > 0 && declared <= SWALLOW_BYTES) {
      // Answered without the body (a refusal, or a route that takes none): read and drop a small one first. Closing
      // a connection with request bytes still unread makes the kernel reset it, and the client may then lose the
      // answer before reading it (ProxyClusterIT saw "header parser received no bytes" instead of a 400); read, the
      // connection also stays usable for the client's next request.
      Content.Source.asByteArrayAsync(request, (int) SWALLOW_BYTES, Promise.Invocable.from(InvocationType.NON_BLOCKING,
          (dropped, err) -> {
            bodyRead = err == null;
            write(status, contentType, body, headers);
          }));
      return;
    }
    write(status, contentType, body, headers);
  }

  private void write(int status, HttpField contentType, byte[] body, HttpField... headers) {
    // Recorded before the write: once written, a caller may already act on the answer (and a test read the log).
    finished(status, body == null ? 0 : body.length);
    try {
      response.setStatus(status);
      var h = response.getHeaders();
      if (contentType != null) {
        h.put(contentType);
      }
      for (HttpField f : headers) {
        h.put(f);
      }
      if (hasUnreadBody()) {
        // Answered before reading the body (401, 403, 404, 413...): the connection cannot be reused, so say so
        // rather than let a keep-alive client send its next request into a connection the server is closing.
        h.put(HttpHeader.CONNECTION, "close");
      }
      h.put(RequestIds.HEADER, requestId);
      int len = body == null ? 0 : body.length;
      h.put(HttpHeader.CONTENT_LENGTH, len);
      response.write(true, len == 0 ? null : ByteBuffer.wrap(body), callback);
    } catch (RuntimeException e) {
      callback.failed(e);
    }
  }

  private void finished(int status, long bytes) {
    long nanos = System.nanoTime() - startNanos;
    metrics.request(route, request.getMethod(), status, nanos);
    AccessLog.record(request, status, bytes, nanos, requestId);
  }

  private boolean hasUnreadBody() {
    if (bodyRead) {
      return false;
    }
    var h = request.getHeaders();
    return h.getLongField(HttpHeader.CONTENT_LENGTH) > 0 || h.contains(HttpHeader.TRANSFER_ENCODING);
  }

  /** For streaming responses (SSE): marks the exchange done and records the metric; the caller owns the callback. */
  public Callback takeOver(int status) {
    if (!done.compareAndSet(false, true)) {
      throw new IllegalStateException("exchange already completed");
    }
    response.getHeaders().put(RequestIds.HEADER, requestId);
    finished(status, -1);
    return callback;
  }
}
