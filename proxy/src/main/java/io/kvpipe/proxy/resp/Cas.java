package io.kvpipe.proxy.resp;

import io.kvpipe.client.RaftErrors;
import io.kvpipe.client.ShardGroupClient;
import io.kvpipe.common.Ttl;
import io.kvpipe.common.Versions;
import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.wire.Entry;
import io.kvpipe.common.wire.Reply;
import io.kvpipe.proxy.kv.KvRouter;
import io.kvpipe.proxy.http.RequestIds;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * Read-modify-write through the HTTP API's conditional writes: read the key (linearizably), decide, write expecting
 * the version read (or absence); if another writer got there first the group refuses with VERSION_MISMATCH and nothing
 * changed, so the whole step is repeated. Each successful write is one ordinary put, TTL change or delete: one
 * version, one change event.
 */
final class Cas {
  /** Attempts before giving up on a key that other writers keep changing. */
  static final int MAX_ATTEMPTS = 64;

  /** A write made conditional on {@code expected}, the version read (or {@link Versions#NONE} when absent). */
  @FunctionalInterface
  interface Write {
    CompletableFuture<Reply.Written> run(ShardGroupClient c, String key, long expected);
  }

  /** What to do with the value read: answer without writing, or write and answer from the result. */
  record Decision(RespValue answer, Write write, Function<Reply.Written, RespValue> onWritten) {
    static Decision done(RespValue answer) {
      return new Decision(answer, null, null);
    }

    /** A put without TTL (a put clears a TTL the key had, as Redis SET does). */
    static Decision write(byte[] value, Function<Reply.Written, RespValue> onWritten) {
      return put(value, Ttl.NONE, onWritten);
    }

    static Decision put(byte[] value, long ttlMs, Function<Reply.Written, RespValue> onWritten) {
      return new Decision(null, (c, k, expected) -> c.putAsync(k, value, expected, ttlMs), onWritten);
    }

    /** A new TTL ({@link Ttl#NONE}: none) for the value read, which is kept. */
    static Decision setTtl(long ttlMs, RespValue answer) {
      return new Decision(null, (c, k, expected) -> c.setTtlAsync(k, ttlMs, expected), w -> answer);
    }

    static Decision delete(RespValue answer) {
      return new Decision(null, (c, k, expected) -> c.deleteAsync(k, expected), w -> answer);
    }
  }

  private Cas() {}

  static CompletableFuture<RespValue> update(KvRouter router, byte[] key, Function<Optional<Entry>, Decision> decide) {
    return attempt(router, key, decide, 1, RequestIds.current());
  }

  private static CompletableFuture<RespValue> attempt(KvRouter router, byte[] key,
                                                      Function<Optional<Entry>, Decision> decide, int attempt,
                                                      String requestId) {
    String k = new String(key, StandardCharsets.UTF_8);
    // Under the command's request id: the write, and a new attempt, start on the thread that completed a read.
    return RequestIds.with(requestId, () -> router.read(key, false, System.nanoTime()).thenCompose(
        RequestIds.bind(current -> {
      Decision d = decide.apply(current);
      if (d.write() == null) {
        return CompletableFuture.completedFuture(d.answer());
      }
      long expected = current.map(Entry::version).orElse(Versions.NONE);
      return router.write(key, c -> d.write().run(c, k, expected), System.nanoTime())
          .thenApply(d.onWritten())
          .handle((v, err) -> {
            if (err == null) {
              return CompletableFuture.completedFuture(v);
            }
            if (!lostTheRace(err)) {
              return CompletableFuture.<RespValue>failedFuture(err);
            }
            if (attempt >= MAX_ATTEMPTS) {
              return CompletableFuture.<RespValue>failedFuture(new RespException("CONFLICT the key changed under "
                  + MAX_ATTEMPTS + " attempts in a row; try again"));
            }
            return attempt(router, key, decide, attempt + 1, requestId);
          })
          .thenCompose(f -> f);
    })));
  }

  /**
   * Another writer changed the key between the read and the write: a version mismatch, or, for a TTL change, the key
   * deleted or expired meanwhile (the group answers NOT_FOUND before it compares versions).
   */
  private static boolean lostTheRace(Throwable err) {
    return RaftErrors.unwrap(err) instanceof KvException kv
        && (kv.code() == ErrorCode.VERSION_MISMATCH || kv.code() == ErrorCode.NOT_FOUND);
  }
}
