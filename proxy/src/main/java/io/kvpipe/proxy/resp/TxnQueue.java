package io.kvpipe.proxy.resp;

import io.kvpipe.common.wire.Command;
import io.kvpipe.common.wire.Entry;
import io.kvpipe.common.wire.Reply;
import io.kvpipe.common.wire.Request;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * The commands of one connection queued between MULTI and EXEC, each already turned into the ops it is in the
 * transaction ({@link TxnOps}); and whether one of them was refused, which makes EXEC discard the whole transaction,
 * as Redis does. Touched only by the connection's reader thread.
 */
final class TxnQueue {
  /** A queued command's ops (puts, deletes, gets; none for PING) and its reply from their results. */
  record Planned(List<Request> ops, Function<List<Reply>, RespValue> answer) {}

  /**
   * One queued command. Most are their ops from the start ({@link #of}); a read-modify-write (INCR, SET NX) names in
   * {@code reads} the keys whose value before the transaction it needs, and is planned at EXEC from what was read
   * there; the transaction then compares each such key's version with the one read. {@code keys}: every key it
   * names (for the connection's ordering); {@code writes}: the keys it may write; {@code maxOps}: the most ops it
   * can plan.
   */
  record Queued(List<byte[]> keys, List<byte[]> reads, List<byte[]> writes, int maxOps,
                Function<Map<ByteBuffer, Optional<Entry>>, Planned> plan) {
    static Queued of(List<Request> ops, Function<List<Reply>, RespValue> answer) {
      List<byte[]> keys = new ArrayList<>();
      List<byte[]> writes = new ArrayList<>();
      for (Request op : ops) {
        keys.add(Command.Txn.keyOf(op));
        if (op instanceof Command.Put || op instanceof Command.Delete) {
          writes.add(Command.Txn.keyOf(op));
        }
      }
      Planned p = new Planned(ops, answer);
      return new Queued(keys, List.of(), writes, ops.size(), read -> p);
    }

    /** A read-modify-write of {@code key}: read before the transaction, planned from it, at most one write. */
    static Queued readingFirst(byte[] key, Function<Map<ByteBuffer, Optional<Entry>>, Planned> plan) {
      return new Queued(List.of(key), List.of(key), List.of(key), 1, plan);
    }
  }

  /** A WATCHed key and the version it had when read ({@code Versions.NONE}: no live value). */
  record Watch(byte[] key, CompletableFuture<Long> version) {}

  private final List<Queued> queued = new ArrayList<>();
  private final Set<ByteBuffer> written = new HashSet<>();
  private int ops;
  private boolean aborted;

  /**
   * Queues {@code q}, or refuses it when the transaction cannot hold it: a key written a second time (a transaction
   * writes each key once: all its writes share one version), or more ops than a transaction carries.
   */
  void add(Queued q) {
    Set<ByteBuffer> mine = new HashSet<>();
    for (byte[] k : q.writes()) {
      ByteBuffer key = ByteBuffer.wrap(k);
      if (written.contains(key) || !mine.add(key)) {
        throw RespException.err("a kvpipe transaction writes each key at most once; '"
            + new String(k, StandardCharsets.UTF_8) + "' is written twice (docs/resp.md)");
      }
    }
    if (ops + q.maxOps() > Command.Txn.MAX_OPS) {
      throw RespException.err("a kvpipe transaction holds at most " + Command.Txn.MAX_OPS
          + " reads and writes (a key of MGET, MSET, DEL or EXISTS is one each)");
    }
    written.addAll(mine);
    ops += q.maxOps();
    queued.add(q);
  }

  /** A command was refused at queue time: EXEC will discard the transaction. */
  void abort() {
    aborted = true;
  }

  boolean aborted() {
    return aborted;
  }

  List<Queued> queued() {
    return queued;
  }
}
