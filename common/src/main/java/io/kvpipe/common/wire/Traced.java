package io.kvpipe.common.wire;

/**
 * A client operation that may carry the {@link RequestId} of the proxy request it serves (null when none: a request
 * from a library caller, or a log entry written before ids existed). The id never changes what the operation does;
 * it only names the operation in the node's log lines.
 */
public interface Traced {
  String requestId();
}
