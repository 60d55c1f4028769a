package io.kvpipe.proxy.resp;

import io.kvpipe.client.RaftErrors;
import io.kvpipe.common.error.KvException;
import io.kvpipe.proxy.kv.BoundedReads;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Maps a failure to its error reply. The caller's mistakes (bad key, value too large, syntax) are {@code ERR ...} as
 * in Redis; the store's own conditions keep kvpipe's error code as the reply's first word ({@code UNAVAILABLE},
 * {@code NO_LEADER}, {@code TIMEOUT}, {@code CDC_BACKLOG_FULL}, ...), the same codes the HTTP API puts in its JSON.
 */
final class RespErrors {
  private static final Logger LOG = LoggerFactory.getLogger(RespErrors.class);

  private RespErrors() {}

  static RespValue of(Throwable failure) {
    Throwable t = RaftErrors.unwrap(failure);
    if (t instanceof RespException r) {
      return new RespValue.Error(r.getMessage());
    }
    if (t instanceof BoundedReads.OverLimit over) {
      return new RespValue.Error("ERR the values asked for add up to more than " + over.limit()
          + " bytes (--max-batch-get-bytes): ask for fewer keys at once");
    }
    if (t instanceof KvException kv) {
      return new RespValue.Error(switch (kv.code()) {
        case INVALID_KEY -> "ERR invalid key: " + kv.getMessage();
        case MALFORMED_REQUEST, VALUE_TOO_LARGE, VERSION_MISMATCH, CONFLICT, NOT_FOUND -> "ERR " + kv.getMessage();
        default -> kv.code().name() + " " + kv.getMessage();
      });
    }
    LOG.warn("a RESP command failed unexpectedly", t);
    return new RespValue.Error("ERR internal error: " + t.getClass().getSimpleName());
  }
}
