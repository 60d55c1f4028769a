package io.kvpipe.common.wire;

import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Binary encoding of {@link Request}s and {@link Reply}s: a format version byte, a type tag, then the fields
 * (big-endian, length-prefixed). A {@link Traced} request with a request id has the tag {@code REQUEST_ID} and the id
 * (a length byte and 1..64 ASCII characters) before its own tag; without an id it is encoded exactly as before ids
 * existed, so log entries written by older nodes decode unchanged (with a null id). Decoding never throws anything but {@link KvException} with MALFORMED_REQUEST, so
 * bytes from the network cannot crash the node. Stateless and thread-safe.
 */
public final class WireCodec {
  /** Bumped on any incompatible change; a node refuses messages of another format. */
  public static final int FORMAT = 1;

  private static final int PUT = 1;
  private static final int DELETE = 2;
  private static final int CONFIRM_PUBLISHED = 3;
  private static final int SET_OWNERSHIP = 4;
  private static final int PUBLISH_SNAPSHOT = 5;
  private static final int PUT_ALL = 6;
  private static final int MIGRATE_IN = 7;
  private static final int PURGE_UNOWNED = 8;
  private static final int COLLECT_TOMBSTONES = 9;
  private static final int BATCH = 10;
  // TTL (docs/ttl.md): a put without TTL keeps tag PUT, so logs written before TTLs read the same.
  private static final int PUT_TTL = 11;
  private static final int SET_TTL = 12;
  private static final int EXPIRE = 13;
  private static final int TXN = 16;
  // The migration commands with their fencing token; the tags above stay readable for logs written before them.
  private static final int SET_OWNERSHIP_FENCED = 40;
  private static final int MIGRATE_IN_FENCED = 41;
  private static final int PURGE_UNOWNED_FENCED = 42;
  private static final int COLLECT_TOMBSTONES_FENCED = 43;
  private static final int OPEN_EXPORT = 14;
  private static final int CLOSE_EXPORT = 15;
  private static final int GET = 20;
  private static final int BATCH_GET = 21;
  private static final int SCAN = 22;
  private static final int STATUS = 23;
  private static final int FALLBACK_GET = 24;
  private static final int READ_BATCH = 25;
  private static final int KEY_SCAN = 26;
  private static final int EXPORT_PAGE = 27;
  /**
   * Not a request: the prefix naming the request id of the {@link Traced} request that follows it (its own tag and
   * fields). Far from the ranges above, which merges keep adding to.
   */
  private static final int REQUEST_ID = 64;

  private static final int WRITTEN = 1;
  private static final int FOUND = 2;
  private static final int FOUND_MANY = 3;
  private static final int SCAN_PAGE = 4;
  private static final int CONFIRMED = 5;
  private static final int OWNERSHIP = 6;
  private static final int STATUS_REPLY = 7;
  private static final int SNAPSHOT_PUBLISHED = 8;
  private static final int FAILURE = 9;
  private static final int MIGRATED = 10;
  private static final int PURGED = 11;
  private static final int BATCH_REPLY = 12;
  private static final int KEY_PAGE = 13;
  private static final int EXPORT_OPENED = 14;
  private static final int TXN_REPLY = 15;

  private WireCodec() {}

  public static byte[] encode(Request request) {
    WireWriter w = new WireWriter(64).u8(FORMAT);
    if (request instanceof Traced t && t.requestId() != null) {
      w.u8(REQUEST_ID).ascii(t.requestId());
    }
    switch (request) {
      case Command.Put p -> {
        w.u8(p.ttlMs() == 0 ? PUT : PUT_TTL).bytes(p.key()).bytes(p.value()).i64(p.expectedVersion());
        if (p.ttlMs() != 0) {
          w.i64(p.ttlMs());
        }
      }
      case Command.SetTtl t -> w.u8(SET_TTL).bytes(t.key()).i64(t.ttlMs()).i64(t.expectedVersion());
      case Command.Expire x -> {
        w.u8(EXPIRE).i32(x.keys().size());
        x.keys().forEach(d -> w.bytes(d.key()).i64(d.version()).i64(d.expiresAtMs()));
      }
      case Command.Delete d -> w.u8(DELETE).bytes(d.key()).i64(d.expectedVersion());
      case Command.ConfirmPublished c -> w.u8(CONFIRM_PUBLISHED).i64(c.upToIndex());
      case Command.SetOwnership s -> w.u8(SET_OWNERSHIP_FENCED).i64(s.epoch()).ranges(s.ranges())
          .string(s.migrationId());
      case Command.PublishSnapshot s -> w.u8(PUBLISH_SNAPSHOT);
      case Command.OpenExport o -> w.u8(OPEN_EXPORT).string(o.exportId());
      case Command.CloseExport c -> w.u8(CLOSE_EXPORT).string(c.exportId());
      case Command.PutAll p -> {
        w.u8(PUT_ALL).i32(p.pairs().size());
        p.pairs().forEach(kv -> w.bytes(kv.key()).bytes(kv.value()));
      }
      case Command.MigrateIn m -> {
        token(w.u8(m.token() == null ? MIGRATE_IN : MIGRATE_IN_FENCED), m.token()).i32(m.entries().size());
        m.entries().forEach(w::entry);
      }
      case Command.Batch b -> {
        w.u8(BATCH).i32(b.ops().size());
        b.ops().forEach(op -> w.bytes(encode(op)));
      }
      case Command.Txn t -> {
        w.u8(TXN).i32(t.compares().size());
        t.compares().forEach(c -> w.bytes(c.key()).u8(c.target().ordinal()).bytes(c.value()).i64(c.version()));
        for (List<Request> branch : List.of(t.success(), t.failure())) {
          w.i32(branch.size());
          branch.forEach(op -> w.bytes(encode(op)));
        }
      }
      case Query.Batch b -> {
        w.u8(READ_BATCH).i32(b.reads().size());
        b.reads().forEach(q -> w.bytes(encode(q)));
      }
      case Command.PurgeUnowned p ->
          token(w.u8(p.token() == null ? PURGE_UNOWNED : PURGE_UNOWNED_FENCED), p.token()).i32(p.limit());
      case Command.CollectTombstones c -> token(w.u8(c.token() == null ? COLLECT_TOMBSTONES
          : COLLECT_TOMBSTONES_FENCED), c.token()).ranges(c.ranges()).i32(c.limit());
      case Query.Get g -> w.u8(GET).bytes(g.key());
      case Query.FallbackGet g -> w.u8(FALLBACK_GET).bytes(g.key());
      case Query.BatchGet b -> {
        w.u8(BATCH_GET).i32(b.keys().size());
        b.keys().forEach(w::bytes);
      }
      case Query.Scan s -> w.u8(SCAN).ranges(s.ranges()).cursor(s.after()).i32(s.limit());
      case Query.KeyScan s -> w.u8(KEY_SCAN).bytes(s.start()).bytes(s.end()).i32(s.limit()).u8(s.values() ? 1 : 0)
          .i32(s.maxBytes());
      case Query.ExportPage p -> w.u8(EXPORT_PAGE).string(p.exportId()).i64(p.offset()).i32(p.limit())
          .i32(p.maxBytes());
      case Query.Status s -> w.u8(STATUS);
    }
    return w.toByteArray();
  }

  public static Request decodeRequest(byte[] data) {
    return decodeRequest(new WireReader(data));
  }

  public static Request decodeRequest(ByteBuffer data) {
    return decodeRequest(new WireReader(data));
  }

  private static Request decodeRequest(WireReader r) {
    try {
      checkFormat(r);
      int tag = r.u8();
      String id = null;
      if (tag == REQUEST_ID) {
        id = r.requestId();
        tag = r.u8();
      }
      Request req = switch (tag) {
        case PUT -> new Command.Put(r.bytes(), r.bytes(), r.i64(), io.kvpipe.common.Ttl.NONE, id);
        case DELETE -> new Command.Delete(r.bytes(), r.i64(), id);
        case PUT_TTL -> new Command.Put(r.bytes(), r.bytes(), r.i64(), r.i64(), id);
        case SET_TTL -> new Command.SetTtl(r.bytes(), r.i64(), r.i64(), id);
        case EXPIRE -> {
          int n = r.count(Command.Expire.MAX_KEYS, 20);
          List<Command.Due> due = new ArrayList<>(n);
          for (int i = 0; i < n; i++) {
            due.add(new Command.Due(r.bytes(), r.i64(), r.i64()));
          }
          yield new Command.Expire(due);
        }
        case CONFIRM_PUBLISHED -> new Command.ConfirmPublished(r.i64());
        case SET_OWNERSHIP -> new Command.SetOwnership(r.i64(), r.ranges());
        case PUBLISH_SNAPSHOT -> new Command.PublishSnapshot();
        case OPEN_EXPORT -> new Command.OpenExport(r.string());
        case CLOSE_EXPORT -> new Command.CloseExport(r.string());
        case PUT_ALL -> {
          int n = r.count(Query.MAX_ITEMS, 8);
          List<Command.KeyValue> pairs = new ArrayList<>(n);
          for (int i = 0; i < n; i++) {
            pairs.add(new Command.KeyValue(r.bytes(), r.bytes()));
          }
          yield new Command.PutAll(pairs);
        }
        case MIGRATE_IN -> new Command.MigrateIn(entries(r, false));
        case PURGE_UNOWNED -> new Command.PurgeUnowned(r.i32());
        case COLLECT_TOMBSTONES -> new Command.CollectTombstones(r.ranges(), r.i32());
        case BATCH -> new Command.Batch(nested(r, Command.class, Command.Put.class, Command.Delete.class));
        case TXN -> txn(r, id);
        case READ_BATCH -> new Query.Batch(nested(r, Query.class, Query.Get.class, Query.FallbackGet.class));
        case SET_OWNERSHIP_FENCED -> new Command.SetOwnership(r.i64(), r.ranges(), r.string());
        case MIGRATE_IN_FENCED -> {
          MigrationToken token = token(r);
          yield new Command.MigrateIn(entries(r, false), token);
        }
        case PURGE_UNOWNED_FENCED -> {
          MigrationToken token = token(r);
          yield new Command.PurgeUnowned(r.i32(), token);
        }
        case COLLECT_TOMBSTONES_FENCED -> {
          MigrationToken token = token(r);
          yield new Command.CollectTombstones(r.ranges(), r.i32(), token);
        }
        case GET -> new Query.Get(r.bytes(), id);
        case FALLBACK_GET -> new Query.FallbackGet(r.bytes(), id);
        case BATCH_GET -> {
          int n = r.count(Query.MAX_ITEMS, 4);
          List<byte[]> keys = new ArrayList<>(n);
          for (int i = 0; i < n; i++) {
            keys.add(r.bytes());
          }
          yield new Query.BatchGet(keys);
        }
        case SCAN -> new Query.Scan(r.ranges(), r.cursorOrNull(), r.i32());
        case KEY_SCAN -> new Query.KeyScan(bound(r.bytes()), boundOrNull(r.bytesOrNull()), r.i32(), r.bool(), r.i32());
        case EXPORT_PAGE -> new Query.ExportPage(r.string(), r.i64(), r.i32(), r.i32());
        case STATUS -> new Query.Status();
        default -> throw WireReader.malformed("unknown request type " + tag);
      };
      if (id != null && !(req instanceof Traced)) {
        throw WireReader.malformed("a request id before a " + req.getClass().getSimpleName());
      }
      r.expectEnd();
      return req;
    } catch (KvException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new KvException(ErrorCode.MALFORMED_REQUEST, "malformed request: " + e, e);
    }
  }

  public static byte[] encode(Reply reply) {
    WireWriter w = new WireWriter(64).u8(FORMAT);
    switch (reply) {
      case Reply.Written x -> w.u8(WRITTEN).i64(x.version()).bytes(x.previous());
      case Reply.Found x -> w.u8(FOUND).entry(x.entry());
      case Reply.FoundMany x -> {
        w.u8(FOUND_MANY).i32(x.entries().size());
        x.entries().forEach(w::entry);
      }
      case Reply.ScanPage x -> {
        w.u8(SCAN_PAGE).i32(x.entries().size());
        x.entries().forEach(w::entry);
        w.cursor(x.next());
      }
      case Reply.KeyPage x -> {
        w.u8(KEY_PAGE).i64(x.epoch()).ranges(x.owned()).i32(x.entries().size());
        x.entries().forEach(w::entry);
        w.u8(x.more() ? 1 : 0);
      }
      case Reply.Confirmed x -> w.u8(CONFIRMED).i64(x.confirmedIndex());
      case Reply.Migrated x -> w.u8(MIGRATED).i32(x.applied()).i32(x.skipped());
      case Reply.Purged x -> w.u8(PURGED).i32(x.removed()).u8(x.more() ? 1 : 0);
      case Reply.SnapshotPublished x -> w.u8(SNAPSHOT_PUBLISHED).i64(x.logIndex()).i32(x.events());
      case Reply.ExportOpened x -> w.u8(EXPORT_OPENED).string(x.exportId()).i64(x.logIndex()).i64(x.epoch())
          .ranges(x.owned()).i64(x.records());
      case Reply.Ownership x -> w.u8(OWNERSHIP).i64(x.epoch()).ranges(x.ranges());
      case Reply.Status x -> w.u8(STATUS_REPLY).i64(x.epoch()).ranges(x.ranges()).i64(x.appliedIndex())
          .i64(x.confirmedIndex()).i32(x.outboxEvents()).i64(x.outboxBytes()).i64(x.records());
      case Reply.Failure x -> w.u8(FAILURE).string(x.code().name()).string(x.message());
      case Reply.Txn x -> {
        w.u8(TXN_REPLY).u8(x.succeeded() ? 1 : 0).i32(x.results().size());
        x.results().forEach(one -> w.bytes(encode(one)));
      }
      case Reply.Batch x -> {
        w.u8(BATCH_REPLY).i32(x.replies().size());
        x.replies().forEach(one -> w.bytes(encode(one)));
      }
    }
    return w.toByteArray();
  }

  public static Reply decodeReply(byte[] data) {
    return decodeReply(new WireReader(data));
  }

  public static Reply decodeReply(ByteBuffer data) {
    return decodeReply(new WireReader(data));
  }

  private static Reply decodeReply(WireReader r) {
    try {
      checkFormat(r);
      int tag = r.u8();
      Reply reply = switch (tag) {
        case WRITTEN -> new Reply.Written(r.i64(), r.bytesOrNull());
        case FOUND -> new Reply.Found(r.entryOrNull());
        case FOUND_MANY -> new Reply.FoundMany(entries(r, true));
        case SCAN_PAGE -> new Reply.ScanPage(entries(r, true), r.cursorOrNull());
        case KEY_PAGE -> new Reply.KeyPage(r.i64(), r.ranges(), entries(r, false), r.bool());
        case CONFIRMED -> new Reply.Confirmed(r.i64());
        case MIGRATED -> new Reply.Migrated(r.i32(), r.i32());
        case PURGED -> new Reply.Purged(r.i32(), r.u8() != 0);
        case SNAPSHOT_PUBLISHED -> new Reply.SnapshotPublished(r.i64(), r.i32());
        case EXPORT_OPENED -> new Reply.ExportOpened(r.string(), r.i64(), r.i64(), r.ranges(), r.i64());
        case OWNERSHIP -> new Reply.Ownership(r.i64(), r.ranges());
        case STATUS_REPLY -> new Reply.Status(r.i64(), r.ranges(), r.i64(), r.i64(), r.i32(), r.i64(), r.i64());
        case FAILURE -> new Reply.Failure(errorCode(r.string()), r.string());
        case TXN_REPLY -> {
          boolean succeeded = r.bool();
          int n = r.count(Command.Txn.MAX_OPS, 4);
          List<Reply> results = new ArrayList<>(n);
          for (int i = 0; i < n; i++) {
            Reply nested = decodeReply(r.bytes());
            if (!(nested instanceof Reply.Written || nested instanceof Reply.Found)) {
              throw WireReader.malformed("a transaction result may not be a " + nested.getClass().getSimpleName());
            }
            results.add(nested);
          }
          yield new Reply.Txn(succeeded, results);
        }
        case BATCH_REPLY -> {
          int n = r.count(Command.Batch.MAX_OPS, 4);
          List<Reply> replies = new ArrayList<>(n);
          for (int i = 0; i < n; i++) {
            Reply nested = decodeReply(r.bytes());
            if (nested instanceof Reply.Batch) {
              throw WireReader.malformed("a batch reply inside a batch reply");
            }
            replies.add(nested);
          }
          yield new Reply.Batch(replies);
        }
        default -> throw WireReader.malformed("unknown reply type " + tag);
      };
      r.expectEnd();
      return reply;
    } catch (KvException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new KvException(ErrorCode.MALFORMED_REQUEST, "malformed reply: " + e, e);
    }
  }

  /** The elements of a batch: each a whole encoded request of one of the {@code allowed} types. */
  @SafeVarargs
  private static <T extends Request> List<T> nested(WireReader r, Class<T> kind, Class<? extends T>... allowed) {
    int n = r.count(Command.Batch.MAX_OPS, 4);
    if (n == 0) {
      throw WireReader.malformed("an empty batch");
    }
    List<T> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      Request nested = decodeRequest(r.bytes());
      boolean ok = false;
      for (Class<? extends T> c : allowed) {
        ok |= c.isInstance(nested);
      }
      if (!ok) {
        throw WireReader.malformed("batch element " + i + " may not be a " + nested.getClass().getSimpleName());
      }
      out.add(kind.cast(nested));
    }
    return out;
  }

  private static Command.Txn txn(WireReader r, String id) {
    int n = r.count(Command.Txn.MAX_OPS, 17);
    List<Command.Compare> compares = new ArrayList<>(n);
    Command.Compare.Target[] targets = Command.Compare.Target.values();
    for (int i = 0; i < n; i++) {
      byte[] key = r.bytes();
      int target = r.u8();
      if (target >= targets.length) {
        throw WireReader.malformed("unknown compare target " + target);
      }
      compares.add(new Command.Compare(key, targets[target], r.bytesOrNull(), r.i64()));
    }
    List<Request> success = txnBranch(r);
    return new Command.Txn(compares, success, txnBranch(r), id);
  }

  private static List<Request> txnBranch(WireReader r) {
    int n = r.count(Command.Txn.MAX_OPS, 4);
    List<Request> ops = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      Request op = decodeRequest(r.bytes());
      if (!(op instanceof Command.Put || op instanceof Command.Delete || op instanceof Query.Get)) {
        throw WireReader.malformed("transaction op " + i + " may not be a " + op.getClass().getSimpleName());
      }
      ops.add(op);
    }
    return ops;
  }

  private static byte[] bound(byte[] b) {
    if (b.length > Query.KeyScan.MAX_BOUND_BYTES) {
      throw WireReader.malformed("scan bound of " + b.length + " bytes");
    }
    return b;
  }

  private static byte[] boundOrNull(byte[] b) {
    return b == null ? null : bound(b);
  }

  private static WireWriter token(WireWriter w, MigrationToken t) {
    return t == null ? w : w.string(t.migrationId()).i64(t.epoch());
  }

  private static MigrationToken token(WireReader r) {
    String id = r.string();
    return new MigrationToken(id, r.i64());
  }

  private static List<Entry> entries(WireReader r, boolean nullable) {
    int n = r.count(Query.MAX_ITEMS, 1);
    List<Entry> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      Entry e = r.entryOrNull();
      if (e == null && !nullable) {
        throw WireReader.malformed("entry " + i + " is missing");
      }
      out.add(e);
    }
    return out;
  }

  private static ErrorCode errorCode(String name) {
    try {
      return ErrorCode.valueOf(name);
    } catch (IllegalArgumentException e) {
      // A newer server may know codes this client does not: keep the failure, lose only the precision.
      return ErrorCode.INTERNAL;
    }
  }

  private static void checkFormat(WireReader r) {
    int format = r.u8();
    if (format != FORMAT) {
      throw WireReader.malformed("unsupported format version " + format + " (expected " + FORMAT + ")");
    }
  }
}
