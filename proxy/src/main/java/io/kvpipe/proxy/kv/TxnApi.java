package io.kvpipe.proxy.kv;

import io.kvpipe.common.wire.Command;
import io.kvpipe.common.wire.Entry;
import io.kvpipe.common.wire.Query;
import io.kvpipe.common.wire.Reply;
import io.kvpipe.common.wire.Request;
import io.kvpipe.proxy.http.Exchange;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code POST /v1/txn}: a transaction over keys of one shard group, compare / success / failure as in etcd, applied
 * all or nothing in one log entry (see docs/txn.md). The reply is 200 whichever branch ran:
 * {@code {"succeeded":true,"group":"g1","results":[{"op":"put","key":"a","version":N,"created":true},
 * {"op":"get","key":"a","found":true,"value":"<base64>","version":N}, ...]}}.
 */
final class TxnApi {
  private static final Base64.Encoder B64 = Base64.getEncoder();

  private final KvRouter router;
  private final int maxValueBytes;

  TxnApi(KvRouter router, int maxValueBytes) {
    this.router = router;
    this.maxValueBytes = maxValueBytes;
  }

  private record Outcome(String group, Reply.Txn reply) {}

  void run(Exchange ex, byte[] body) {
    Command.Txn txn = TxnRequest.parse(body, maxValueBytes);
    router.<Outcome>writeWithinGroup(txn.keys(),
        c -> c.txnAsync(txn).thenApply(r -> new Outcome(c.group(), r)), ex.startNanos())
        .whenComplete((outcome, err) -> {
          if (err != null) {
            ex.fail(err);
            return;
          }
          Reply.Txn r = outcome.reply();
          List<Request> ops = r.succeeded() ? txn.success() : txn.failure();
          List<Map<String, Object>> results = new ArrayList<>(ops.size());
          for (int i = 0; i < ops.size(); i++) {
            results.add(result(ops.get(i), r.results().get(i)));
          }
          Map<String, Object> out = new LinkedHashMap<>();
          out.put("succeeded", r.succeeded());
          out.put("group", outcome.group());
          out.put("results", results);
          ex.sendJson(200, out);
        });
  }

  private static Map<String, Object> result(Request op, Reply reply) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("op", op instanceof Command.Put ? "put" : op instanceof Command.Delete ? "delete" : "get");
    m.put("key", new String(Command.Txn.keyOf(op), StandardCharsets.UTF_8));
    if (op instanceof Query.Get) {
      Entry e = ((Reply.Found) reply).entry();
      boolean found = e != null && !e.deleted();
      m.put("found", found);
      if (found) {
        m.put("value", B64.encodeToString(e.value()));
        m.put("version", e.version());
      }
    } else {
      Reply.Written w = (Reply.Written) reply;
      m.put("version", w.version());
      m.put(op instanceof Command.Put ? "created" : "existed",
          op instanceof Command.Put ? w.previous() == null : w.previous() != null);
    }
    return m;
  }
}
