package io.kvpipe.proxy.resp;

import io.kvpipe.client.RaftErrors;
import io.kvpipe.proxy.http.RequestIds;
import io.kvpipe.common.Versions;
import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.wire.Command;
import io.kvpipe.common.wire.Entry;
import io.kvpipe.common.wire.Query;
import io.kvpipe.common.wire.Reply;
import io.kvpipe.common.wire.Request;
import io.kvpipe.proxy.kv.KvRouter;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;

/**
 * MULTI, EXEC, DISCARD, WATCH, UNWATCH over the store's transactions (docs/txn.md, docs/resp.md). Commands after MULTI
 * are turned into transaction ops when they are queued ({@link TxnOps}); EXEC sends them as one transaction to the
 * one shard group that owns every key, with a version compare per WATCHed key (the version read by WATCH): the ops
 * run all or nothing in one log entry, or, when a WATCHed key changed, not at all and EXEC answers a null array.
 */
final class RespTransactions {
  private final KvRouter router;
  private final int maxValueBytes;
  private final LongSupplier clock;

  RespTransactions(KvRouter router, int maxValueBytes, LongSupplier clock) {
    this.router = router;
    this.maxValueBytes = maxValueBytes;
    this.clock = clock;
  }

  RespCommands.Outcome multi(RespSession s, List<byte[]> args) {
    RespCommands.arity(args, 1, 1, "MULTI");
    if (s.multi != null) {
      return RespCommands.now(new RespValue.Error("ERR MULTI calls can not be nested"));
    }
    s.multi = new TxnQueue();
    return RespCommands.now(RespValue.OK);
  }

  /** A command after MULTI: +QUEUED, or its refusal, which makes EXEC discard the transaction (as in Redis). */
  RespCommands.Outcome queue(RespSession s, String name, List<byte[]> args) {
    try {
      s.multi.add(TxnOps.of(name, args, maxValueBytes, clock));
      return RespCommands.now(new RespValue.Simple("QUEUED"));
    } catch (RespException e) {
      s.multi.abort();
      return RespCommands.now(new RespValue.Error(e.getMessage()));
    } catch (RuntimeException e) {
      s.multi.abort();
      return RespCommands.now(RespErrors.of(e));
    }
  }

  RespCommands.Outcome discard(RespSession s, List<byte[]> args) {
    RespCommands.arity(args, 1, 1, "DISCARD");
    if (s.multi == null) {
      return RespCommands.now(new RespValue.Error("ERR DISCARD without MULTI"));
    }
    s.multi = null;
    s.watches.clear();
    return RespCommands.now(RespValue.OK);
  }

  /** WATCH key...: reads each key's version now; EXEC compares on it. */
  RespCommands.Outcome watch(RespSession s, List<byte[]> args) {
    RespCommands.arity(args, 2, -1, "WATCH");
    if (s.multi != null) {
      return RespCommands.now(new RespValue.Error("ERR WATCH inside MULTI is not allowed"));
    }
    List<byte[]> keys = new ArrayList<>();
    List<TxnQueue.Watch> added = new ArrayList<>();
    for (int i = 1; i < args.size(); i++) {
      byte[] key = RespDataCommands.key(args.get(i));
      keys.add(key);
      added.add(new TxnQueue.Watch(key, new CompletableFuture<>()));
    }
    s.watches.addAll(added);
    return new RespCommands.Call(keys, () -> {
      List<CompletableFuture<?>> reads = new ArrayList<>();
      for (TxnQueue.Watch w : added) {
        reads.add(router.read(w.key(), false, System.nanoTime()).whenComplete((found, err) -> {
          if (err != null) {
            w.version().completeExceptionally(err);
          } else {
            w.version().complete(found.map(Entry::version).orElse(Versions.NONE));
          }
        }));
      }
      return CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new)).thenApply(v -> RespValue.OK);
    });
  }

  RespCommands.Outcome unwatch(RespSession s, List<byte[]> args) {
    RespCommands.arity(args, 1, 1, "UNWATCH");
    s.watches.clear();
    return RespCommands.now(RespValue.OK);
  }

  RespCommands.Outcome exec(RespSession s, List<byte[]> args) {
    RespCommands.arity(args, 1, 1, "EXEC");
    if (s.multi == null) {
      return RespCommands.now(new RespValue.Error("ERR EXEC without MULTI"));
    }
    TxnQueue q = s.multi;
    List<TxnQueue.Watch> watches = List.copyOf(s.watches);
    s.multi = null;
    s.watches.clear();
    if (q.aborted()) {
      return RespCommands.now(new RespValue.Error("EXECABORT Transaction discarded because of previous errors."));
    }
    List<byte[]> keys = new ArrayList<>();
    watches.forEach(w -> keys.add(w.key()));
    q.queued().forEach(c -> keys.addAll(c.keys()));
    if (keys.isEmpty()) {
      return RespCommands.now(answers(plan(q.queued(), Map.of()), List.of()));
    }
    return new RespCommands.Call(keys, () -> watched(watches).thenCompose(versions -> versions == null
        ? CompletableFuture.completedFuture(new RespValue.Error("EXECABORT Transaction discarded: a WATCHed key"
            + " could not be read (see the WATCH's reply)"))
        : attempt(q.queued(), watches, versions, 1)));
  }

  /** The versions the WATCHes read, in order; null if one of them failed (it answered with the error). */
  private static CompletableFuture<List<Long>> watched(List<TxnQueue.Watch> watches) {
    CompletableFuture<?>[] all = watches.stream().map(TxnQueue.Watch::version).toArray(CompletableFuture[]::new);
    return CompletableFuture.allOf(all).handle((v, err) -> err != null ? null
        : watches.stream().map(w -> w.version().join()).toList());
  }

  /**
   * One try: read what the read-modify-write commands need, plan every command, send the transaction with a compare
   * per WATCHed key (the version WATCH read) and per key read now. When compares fail, the failure branch's gets of
   * the WATCHed keys tell whether one of those changed (EXEC answers a null array, as Redis) or only a key read now
   * (another writer got in between: the whole step is repeated, as {@link Cas} does).
   */
  private CompletableFuture<RespValue> attempt(List<TxnQueue.Queued> queued, List<TxnQueue.Watch> watches,
                                               List<Long> watchVersions, int attempt) {
    Map<ByteBuffer, byte[]> toRead = new LinkedHashMap<>();
    queued.forEach(c -> c.reads().forEach(k -> toRead.put(ByteBuffer.wrap(k), k)));
    if (watches.size() + toRead.size() > Command.Txn.MAX_OPS) {
      return CompletableFuture.completedFuture(new RespValue.Error("EXECABORT Transaction discarded: a kvpipe"
          + " transaction compares at most " + Command.Txn.MAX_OPS + " keys (WATCHed keys and keys of INCR or SET"
          + " NX/XX/KEEPTTL/EXAT/PXAT)"));
    }
    List<byte[]> readKeys = List.copyOf(toRead.values());
    List<CompletableFuture<Optional<Entry>>> reads = readKeys.stream()
        .map(k -> router.read(k, false, System.nanoTime())).toList();
    // Bound: the transaction starts on the thread that completed the last read, and carries the EXEC's request id.
    return CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new)).thenCompose(RequestIds.bind(v -> {
      Map<ByteBuffer, Optional<Entry>> read = new HashMap<>();
      List<Command.Compare> compares = new ArrayList<>();
      for (int i = 0; i < watches.size(); i++) {
        compares.add(version(watches.get(i).key(), watchVersions.get(i)));
      }
      for (int i = 0; i < readKeys.size(); i++) {
        Optional<Entry> e = reads.get(i).join();
        read.put(ByteBuffer.wrap(readKeys.get(i)), e);
        compares.add(version(readKeys.get(i), e.map(Entry::version).orElse(Versions.NONE)));
      }
      List<TxnQueue.Planned> planned = plan(queued, read);
      List<Request> ops = new ArrayList<>();
      planned.forEach(p -> ops.addAll(p.ops()));
      if (compares.isEmpty() && ops.isEmpty()) {
        return CompletableFuture.completedFuture(answers(planned, List.of()));
      }
      // A transaction needs an op; when the commands planned none, a read of a compared key stands in.
      List<Request> success = ops.isEmpty() ? List.of(new Query.Get(compares.get(0).key())) : ops;
      List<Request> failure = readKeys.isEmpty() ? List.of()
          : watches.stream().<Request>map(w -> new Query.Get(w.key())).toList();
      Command.Txn txn = new Command.Txn(compares, success, failure);
      return router.writeWithinGroup(txn.keys(), c -> c.txnAsync(txn), System.nanoTime())
          .<CompletableFuture<RespValue>>thenApply(r -> {
            if (r.succeeded()) {
              return CompletableFuture.completedFuture(answers(planned, ops.isEmpty() ? List.of() : r.results()));
            }
            if (readKeys.isEmpty() || watchedChanged(r.results(), watchVersions)) {
              return CompletableFuture.completedFuture(RespValue.NULL_ARRAY);
            }
            if (attempt >= Cas.MAX_ATTEMPTS) {
              return CompletableFuture.completedFuture(new RespValue.Error("CONFLICT the keys changed under "
                  + Cas.MAX_ATTEMPTS + " attempts in a row; nothing was applied; try again"));
            }
            return attempt(queued, watches, watchVersions, attempt + 1);
          }).thenCompose(f -> f);
    })).exceptionally(RespTransactions::failed);
  }

  private static Command.Compare version(byte[] key, long version) {
    return new Command.Compare(key, Command.Compare.Target.VERSION, null, version);
  }

  private static boolean watchedChanged(List<Reply> gets, List<Long> watchVersions) {
    for (int i = 0; i < watchVersions.size(); i++) {
      Entry e = ((Reply.Found) gets.get(i)).entry();
      long now = e == null || e.deleted() ? Versions.NONE : e.version();
      if (now != watchVersions.get(i)) {
        return true;
      }
    }
    return false;
  }

  private static List<TxnQueue.Planned> plan(List<TxnQueue.Queued> queued, Map<ByteBuffer, Optional<Entry>> read) {
    return queued.stream().map(c -> c.plan().apply(read)).toList();
  }

  private static RespValue answers(List<TxnQueue.Planned> planned, List<Reply> results) {
    List<RespValue> out = new ArrayList<>(planned.size());
    int at = 0;
    for (TxnQueue.Planned c : planned) {
      int n = c.ops().size();
      out.add(c.answer().apply(results.subList(at, at + n)));
      at += n;
    }
    return new RespValue.Array(out);
  }

  /** Keys in several groups: nothing was sent, so EXECABORT, with the groups and keys named. */
  private static RespValue failed(Throwable err) {
    Throwable t = RaftErrors.unwrap(err);
    if (t instanceof KvException kv && kv.code() == ErrorCode.CROSS_GROUP) {
      return new RespValue.Error("EXECABORT Transaction discarded: " + kv.getMessage());
    }
    return RespErrors.of(t);
  }
}
