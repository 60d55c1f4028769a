package io.kvpipe.client;

import io.kvpipe.common.wire.RequestId;
import org.slf4j.MDC;

/**
 * The request id of the operation a thread is starting: SLF4J's MDC entry {@code request_id}, which the proxy sets
 * while it works on a request (and on each retry), so its own log lines carry it too. Read when an operation is built,
 * so a group-committed op keeps the id of the request it came from. A missing or unusable id is simply no id: it only
 * names the operation in logs. Costs a thread-local map lookup (null without an SLF4J binding).
 */
final class CurrentRequest {
  private CurrentRequest() {}

  static String id() {
    return RequestId.orNull(MDC.get(RequestId.LOG_KEY));
  }
}
