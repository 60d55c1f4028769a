package io.kvpipe.proxy.http;

import org.eclipse.jetty.server.Request;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One line per answered request on the logger {@code kvpipe.access}, off by default: logback.xml sets its level from
 * {@code KVPIPE_ACCESS_LOG} ({@code INFO} turns it on). Outside {@code io.kvpipe} so KVPIPE_LOG_LEVEL=DEBUG does not
 * switch it on as a side effect. The fields are also key/value pairs, so the JSON layout has them as fields.
 */
final class AccessLog {
  private static final Logger LOG = LoggerFactory.getLogger("kvpipe.access");

  private AccessLog() {}

  /** Does nothing (and reads nothing of the request) unless the log is on: this runs for every request. */
  static void record(Request request, int status, long bytes, long nanos, String requestId) {
    if (!LOG.isInfoEnabled()) {
      return;
    }
    String remote = Request.getRemoteAddr(request);
    String method = request.getMethod();
    String path = request.getHttpURI().getPathQuery();
    double ms = nanos / 1e6;
    LOG.atInfo().addKeyValue("remote", remote).addKeyValue("method", method).addKeyValue("path", path)
        .addKeyValue("status", status).addKeyValue("bytes", bytes).addKeyValue("ms", Math.round(ms * 100) / 100.0)
        .addKeyValue("request_id", requestId)
        .log("{} {} {} {} {}B {}ms id={}", remote, method, path, status, bytes, String.format("%.2f", ms), requestId);
  }
}
