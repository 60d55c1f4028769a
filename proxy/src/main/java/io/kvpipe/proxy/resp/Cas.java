package io.kvpipe.proxy.resp;

import io.kvpipe.common.Versions;
import io.kvpipe.common.wire.Entry;
import io.kvpipe.common.wire.Reply;
import io.kvpipe.proxy.kv.KvRouter;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * Read-modify-write through the HTTP API's conditional put: read the key (linearizably), decide, write expecting the
 * version read (or absence); if another writer got there first the group refuses with VERSION_MISMATCH and nothing
 * changed, so the whole step is repeated. Each successful write is one ordinary put: one version, one change event.
 */
final class Cas {
  /** Attempts before giving up on a key that other writers keep changing. */
  static final int MAX_ATTEMPTS = 64;

  /** What to do with the value read: answer without writing, or write {@code value} and answer from the result. */
  record Decision(RespValue answer, byte[] value, Function<Reply.Written, RespValue> onWritten) {
    static Decision done(RespValue answer) {
      return new Decision(answer, null, null);
    }

    static Decision write(byte[] value, Function<Reply.Written, RespValue> onWritten) {
      return new Decision(null, value, onWritten);
    }
  }

  private Cas() {}

  static CompletableFuture<RespValue> update(KvRouter router, byte[] key, Function<Optional<Entry>, Decision> decide) {
    return attempt(router, key, decide, 1);
  }

  private static CompletableFuture<RespValue> attempt(KvRouter router, byte[] key,
                                                      Function<Optional<Entry>, Decision> decide, int attempt) {
    String k = new String(key, StandardCharsets.UTF_8);
    return router.read(key, false, System.nanoTime()).thenCompose(current -> {
      Decision d = decide.apply(current);
      if (d.value() == null) {
        return CompletableFuture.completedFuture(d.answer());
      }
      long expected = current.map(Entry::version).orElse(Versions.NONE);
      return router.write(key, c -> c.putAsync(k, d.value(), expected), System.nanoTime())
          .thenApply(d.onWritten())
          .handle((v, err) -> {
            if (err == null) {
              return CompletableFuture.completedFuture(v);
            }
            if (!RespDataCommands.mismatch(err)) {
              return CompletableFuture.<RespValue>failedFuture(err);
            }
            if (attempt >= MAX_ATTEMPTS) {
              return CompletableFuture.<RespValue>failedFuture(new RespException("CONFLICT the key changed under "
                  + MAX_ATTEMPTS + " attempts in a row; try again"));
            }
            return attempt(router, key, decide, attempt + 1);
          })
          .thenCompose(f -> f);
    });
  }
}
