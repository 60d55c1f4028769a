package io.kvpipe.node.shard;

import io.kvpipe.common.error.KvException;
import io.kvpipe.common.wire.Command;
import io.kvpipe.common.wire.Query;
import io.kvpipe.common.wire.Reply;
import io.kvpipe.common.wire.Request;
import io.kvpipe.common.wire.RequestId;
import io.kvpipe.common.wire.Traced;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * The node's log lines about single client operations, each naming the proxy request it came from
 * ({@code request_id=...} at the end of the message, and as a key/value field for the JSON layout; {@code -} when the
 * operation carries none), so a request can be followed from the proxy's log to every replica's (docs/operations.md).
 * Logger {@code io.kvpipe.node.ops}: its level is {@code KVPIPE_OP_LOG}, else {@code KVPIPE_LOG_LEVEL}.
 *
 * <ul>
 *   <li>DEBUG: every operation applied (each replica, each op of a group-committed entry) or read; a refusal that is
 *       the caller's expected outcome (a compare-and-set lost, NOT_FOUND; WRONG_GROUP, which the proxy retries);
 *       a refusal on the leader before the entry is logged (the caller gets it as its answer).</li>
 *   <li>INFO: CDC_BACKLOG_FULL at apply (the outbox filled between the leader's check and the apply).</li>
 *   <li>WARN: any other refusal at apply (the leader checked the op already: a sign of a bug or a mixed version).</li>
 * </ul>
 *
 * <p>Cost when a level is off: one level check per operation, nothing built. Ids are short ASCII, written as is.
 */
final class OpLog {
  static final Logger LOG = LoggerFactory.getLogger("io.kvpipe.node.ops");
  private static final int KEY_CHARS = 80;

  private OpLog() {}

  static boolean debug() {
    return LOG.isDebugEnabled();
  }

  /** A client op applied at {@code index} with {@code reply} (DEBUG). */
  static void applied(String group, long index, Request op, Reply reply) {
    if (!LOG.isDebugEnabled()) {
      return;
    }
    String id = idOf(op);
    LOG.atDebug().addKeyValue(RequestId.LOG_KEY, id).log("group={} index={} {} {}: {} request_id={}", group, index,
        kind(op), key(op), outcome(reply), id);
  }

  /** A client op refused at apply (each replica alike): the level says how surprising it is (see the class). */
  static void refused(String group, long index, Request op, KvException e) {
    Level level = switch (e.code()) {
      case VERSION_MISMATCH, NOT_FOUND, WRONG_GROUP -> Level.DEBUG;
      case CDC_BACKLOG_FULL -> Level.INFO;
      default -> Level.WARN;
    };
    if (!LOG.isEnabledForLevel(level)) {
      return;
    }
    String id = idOf(op);
    LOG.atLevel(level).addKeyValue(RequestId.LOG_KEY, id).log("group={} index={} {} {} refused at apply: {} {}"
        + " request_id={}", group, index, kind(op), key(op), e.code(), e.getMessage(), id);
  }

  /**
   * A command the leader refused before logging it (DEBUG: the caller gets the refusal as its answer); every op of a
   * batch is named, since the client then sends them again one by one or fails them all.
   */
  static void rejected(String group, Command command, KvException e) {
    if (!LOG.isDebugEnabled()) {
      return;
    }
    List<? extends Request> ops = command instanceof Command.Batch b ? b.ops() : List.of(command);
    for (Request op : ops) {
      String id = idOf(op);
      LOG.atDebug().addKeyValue(RequestId.LOG_KEY, id).log("group={} {} {} rejected by the leader: {} {}"
          + " request_id={}", group, kind(op), key(op), e.code(), e.getMessage(), id);
    }
  }

  /** A command whose validation failed unexpectedly (ERROR, with the ids of its ops). */
  static void validationBug(String group, Command command, RuntimeException bug) {
    String ids = idsOf(command);
    LOG.atError().addKeyValue(RequestId.LOG_KEY, ids).setCause(bug)
        .log("group {}: validating a request failed unexpectedly request_id={}", group, ids);
  }

  /** The reads of {@code query} and their replies (DEBUG; a batch reply holds one per read). */
  static void read(String group, Query query, Reply reply) {
    if (!LOG.isDebugEnabled()) {
      return;
    }
    if (query instanceof Query.Batch b && reply instanceof Reply.Batch r && r.replies().size() == b.reads().size()) {
      for (int i = 0; i < b.reads().size(); i++) {
        read(group, b.reads().get(i), r.replies().get(i));
      }
      return;
    }
    if (query instanceof Traced) {
      String id = idOf(query);
      LOG.atDebug().addKeyValue(RequestId.LOG_KEY, id).log("group={} {} {}: {} request_id={}", group, kind(query),
          key(query), outcome(reply), id);
    }
  }

  private static String idOf(Request op) {
    String id = op instanceof Traced t ? t.requestId() : null;
    return id == null ? "-" : id;
  }

  private static String idsOf(Command command) {
    if (command instanceof Command.Batch b) {
      StringBuilder sb = new StringBuilder();
      for (Command op : b.ops()) {
        sb.append(sb.isEmpty() ? "" : ",").append(idOf(op));
      }
      return sb.toString();
    }
    return command == null ? "-" : idOf(command);
  }

  private static String kind(Request op) {
    return switch (op) {
      case Command.Put p -> "put";
      case Command.Delete d -> "delete";
      case Command.SetTtl t -> "set-ttl";
      case Command.Txn t -> "txn";
      case Query.Get g -> "get";
      case Query.FallbackGet g -> "fallback-get";
      default -> op.getClass().getSimpleName();
    };
  }

  /** The op's key for a log line: at most 80 characters, control characters escaped (a key may hold anything). */
  private static String key(Request op) {
    byte[] key = switch (op) {
      case Command.Put p -> p.key();
      case Command.Delete d -> d.key();
      case Command.SetTtl t -> t.key();
      case Query.Get g -> g.key();
      case Query.FallbackGet g -> g.key();
      case Command.Txn t -> null;
      default -> null;
    };
    if (key == null) {
      return op instanceof Command.Txn t ? "keys=" + t.keys().size() : "";
    }
    String s = new String(key, StandardCharsets.UTF_8);
    StringBuilder sb = new StringBuilder("key=");
    for (int i = 0; i < s.length() && i < KEY_CHARS; i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        sb.append(String.format("\\x%02x", (int) c));
      } else {
        sb.append(c);
      }
    }
    if (s.length() > KEY_CHARS) {
      sb.append("...");
    }
    return sb.toString();
  }

  private static String outcome(Reply reply) {
    return switch (reply) {
      case Reply.Written w -> "version=" + w.version();
      case Reply.Found f -> f.entry() == null ? "no record" : f.entry().deleted() ? "tombstone version="
          + f.entry().version() : "found version=" + f.entry().version();
      case Reply.Txn t -> t.succeeded() ? "compares held" : "compares failed";
      case Reply.Failure f -> "refused " + f.code();
      default -> reply.getClass().getSimpleName();
    };
  }
}
