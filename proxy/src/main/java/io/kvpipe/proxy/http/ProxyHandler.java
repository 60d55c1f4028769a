package io.kvpipe.proxy.http;

import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.proxy.ProxyMetrics;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The single Jetty handler: matches the route (404), checks the token (401/403), the method (405 with Allow), then
 * runs the route's action. Any exception an action throws becomes a JSON error; none escapes to Jetty.
 *
 * <p>Declared non-blocking, so Jetty may run it on the thread that parsed the request, with no hand-off: every action
 * completes its exchange asynchronously and never waits (the group clients only queue an operation: group commit
 * keeps at most a few requests in flight, far from the Ratis request window that would block a sender; calls that
 * must wait, such as the meta group's, run on the proxy's blocking executor).
 */
public final class ProxyHandler extends Handler.Abstract.NonBlocking {
  private final Routes routes;
  private final TokenAuth auth;
  private final ProxyMetrics metrics;
  private final int maxUriBytes;

  public ProxyHandler(Routes routes, TokenAuth auth, ProxyMetrics metrics, int maxUriBytes) {
    this.routes = routes;
    this.auth = auth;
    this.metrics = metrics;
    this.maxUriBytes = maxUriBytes;
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    Exchange ex = new Exchange(request, response, callback, metrics);
    // The request's id for every log line written while it is handled here, and for the operations it sends to the
    // groups (see RequestIds); continuations on other threads take it along themselves.
    org.slf4j.MDC.put(io.kvpipe.common.wire.RequestId.LOG_KEY, ex.requestId());
    try {
      String path = request.getHttpURI().getPath();
      String query = request.getHttpURI().getQuery();
      long uriBytes = (path == null ? 0 : path.length()) + (query == null ? 0 : query.length() + 1L);
      if (uriBytes > maxUriBytes) {
        metrics.rejected("uri_too_long");
        ex.sendRawJson(414, ApiError.body("URI_TOO_LONG", "the request target is " + uriBytes
            + " bytes; the limit is " + maxUriBytes));
        return true;
      }
      Routes.Match match = routes.match(path);
      if (match == null) {
        ex.fail(new KvException(ErrorCode.NOT_FOUND, "no such endpoint"));
        return true;
      }
      Routes.Route route = match.route();
      ex.route(route.name(), match.tail());
      auth.check(route.access(), request.getHeaders().get(HttpHeader.AUTHORIZATION));
      if (route.methods().isEmpty()) {
        ex.fail(new KvException(ErrorCode.NOT_FOUND, "no such endpoint"));
        return true;
      }
      Routes.Action action = route.methods().get(request.getMethod());
      if (action == null) {
        if (ProxyMetrics.methodTag(request.getMethod()).equals("other")) {
          metrics.rejected("unknown_method");
        }
        ex.failWith(new KvException(ErrorCode.METHOD_NOT_ALLOWED, abbreviate(request.getMethod())
            + " is not allowed here"),
            new HttpField[] {new HttpField(HttpHeader.ALLOW, route.allowHeader())});
        return true;
      }
      action.handle(ex);
    } catch (Throwable t) {
      ex.fail(t);
    } finally {
      org.slf4j.MDC.remove(io.kvpipe.common.wire.RequestId.LOG_KEY);
    }
    return true;
  }

  /** A caller's method string, cut short: it is echoed in the error and may be anything up to the header limit. */
  private static String abbreviate(String method) {
    return method.length() <= 16 ? method : method.substring(0, 16) + "...";
  }
}
