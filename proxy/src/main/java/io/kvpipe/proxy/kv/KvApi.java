package io.kvpipe.proxy.kv;

import io.kvpipe.common.Keys;
import io.kvpipe.common.Ttl;
import io.kvpipe.common.Versions;
import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.wire.Entry;
import io.kvpipe.common.wire.Reply;
import io.kvpipe.common.wire.Request;
import io.kvpipe.proxy.http.Exchange;
import io.kvpipe.proxy.http.KeyPath;
import io.kvpipe.proxy.http.QueryParams;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;

/**
 * {@code PUT|GET|DELETE /v1/kv/{key}} and the batch endpoints. The value is the raw body; the version travels in
 * {@code X-Kv-Version} and as a strong ETag; {@code If-Match: <version>} makes a write conditional and
 * {@code If-None-Match: *} makes a put create-only; {@code ?ttl=30s} (or {@value #TTL_HEADER}) gives the key a time to
 * live, and a GET of such a key names its deadline and the time left (docs/ttl.md). Everything here is asynchronous: no Jetty thread waits for Raft.
 */
public final class KvApi {
  public static final String VERSION_HEADER = "X-Kv-Version";
  /** On a PUT: the key's time to live, as {@code ?ttl=} (docs/ttl.md). */
  public static final String TTL_HEADER = "X-Kv-Ttl";
  /** On a GET of a key with a TTL: milliseconds left by the proxy's clock. */
  public static final String TTL_MS_HEADER = "X-Kv-Ttl-Ms";
  /** On a GET of a key with a TTL: its deadline, epoch milliseconds of the leader's clock that stamped it. */
  public static final String EXPIRES_AT_HEADER = "X-Kv-Expires-At";

  private final KvRouter router;
  private final int maxValueBytes;
  private final long maxBodyBytes;
  private final BatchApi batch;
  private final TxnApi txn;

  public KvApi(KvRouter router, int maxValueBytes, long maxBodyBytes, long maxBatchGetBytes,
               io.kvpipe.proxy.ProxyMetrics metrics) {
    this.router = router;
    this.maxValueBytes = maxValueBytes;
    this.maxBodyBytes = maxBodyBytes;
    this.batch = new BatchApi(router, maxValueBytes, maxBatchGetBytes, metrics);
    this.txn = new TxnApi(router, maxValueBytes);
  }

  public void get(Exchange ex) {
    byte[] key = KeyPath.decode(ex.tail());
    boolean stale = stale(QueryParams.parse(ex.query()).get("consistency"));
    router.read(key, stale, ex.startNanos()).whenComplete((found, err) -> {
      if (err != null) {
        ex.fail(err);
      } else if (found.isEmpty()) {
        ex.fail(new KvException(ErrorCode.NOT_FOUND, "no such key"));
      } else {
        ex.sendBytes(200, found.get().value(), readHeaders(found.get()));
      }
    });
  }

  public void put(Exchange ex) {
    byte[] key = KeyPath.decode(ex.tail());
    String k = new String(key, StandardCharsets.UTF_8);
    long expected = expectedVersion(ex, true);
    long ttlMs = ttl(QueryParams.parse(ex.query()).get("ttl"), ex.header(TTL_HEADER));
    ex.readBody(maxValueBytes, value -> {
      Keys.validateValue(value, maxValueBytes);
      router.<Reply.Written>write(key, c -> c.putAsync(k, value, expected, ttlMs), ex.startNanos())
          .whenComplete((w, err) -> {
            if (err != null) {
              ex.fail(err);
            } else {
              ex.sendRawJson(w.previous() == null ? 201 : 200, versionJson(w.version(), "created", w.previous() == null),
                  versionHeaders(w.version()));
            }
          });
    });
  }

  public void delete(Exchange ex) {
    byte[] key = KeyPath.decode(ex.tail());
    String k = new String(key, StandardCharsets.UTF_8);
    long expected = expectedVersion(ex, false);
    router.<Reply.Written>write(key, c -> c.deleteAsync(k, expected), ex.startNanos())
        .whenComplete((w, err) -> {
          if (err != null) {
            ex.fail(err);
          } else {
            ex.sendRawJson(200, versionJson(w.version(), "existed", w.previous() != null), versionHeaders(w.version()));
          }
        });
  }

  public void batchGet(Exchange ex) {
    ex.readBody(maxBodyBytes, body -> batch.get(ex, body));
  }

  /** {@code POST /v1/txn}: see {@link TxnApi}. */
  public void txn(Exchange ex) {
    ex.readBody(maxBodyBytes, body -> txn.run(ex, body));
  }

  public void batchPut(Exchange ex) {
    ex.readBody(maxBodyBytes, body -> batch.put(ex, body));
  }

  static boolean stale(String consistency) {
    if (consistency == null || consistency.equals("linearizable") || consistency.equals("strong")) {
      return false;
    }
    if (consistency.equals("stale")) {
      return true;
    }
    throw new KvException(ErrorCode.MALFORMED_REQUEST, "consistency must be 'stale' or 'linearizable'");
  }

  /** From {@code If-Match} / {@code If-None-Match: *}; {@link Request#ANY_VERSION} when unconditional. */
  static long expectedVersion(Exchange ex, boolean allowNoneMatch) {
    String ifMatch = ex.header(HttpHeader.IF_MATCH);
    String ifNoneMatch = ex.header(HttpHeader.IF_NONE_MATCH);
    if (ifMatch != null && ifNoneMatch != null) {
      throw new KvException(ErrorCode.MALFORMED_REQUEST, "use either If-Match or If-None-Match, not both");
    }
    if (ifNoneMatch != null) {
      if (!allowNoneMatch || !ifNoneMatch.trim().equals("*")) {
        throw new KvException(ErrorCode.MALFORMED_REQUEST, "only 'If-None-Match: *' is supported, on PUT");
      }
      return Versions.NONE;
    }
    return ifMatch == null ? Request.ANY_VERSION : parseVersion(ifMatch);
  }

  static long parseVersion(String header) {
    String v = header.trim();
    if (v.startsWith("W/")) {
      throw new KvException(ErrorCode.MALFORMED_REQUEST, "weak ETags cannot be used for a conditional write");
    }
    if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) {
      v = v.substring(1, v.length() - 1);
    }
    try {
      long version = Long.parseLong(v);
      if (version <= 0) {
        throw new NumberFormatException();
      }
      return version;
    } catch (NumberFormatException e) {
      throw new KvException(ErrorCode.MALFORMED_REQUEST, "If-Match must be a version number");
    }
  }

  /**
   * The TTL of a put from {@code ?ttl=} or the {@value #TTL_HEADER} header (one of them; {@link Ttl#NONE} when
   * neither: the put clears any TTL the key had).
   */
  static long ttl(String param, String header) {
    if (param != null && header != null) {
      throw new KvException(ErrorCode.MALFORMED_REQUEST, "give the TTL once: ?ttl= or " + TTL_HEADER + ", not both");
    }
    if (param != null) {
      return Ttl.parse(param, "ttl");
    }
    return header == null ? Ttl.NONE : Ttl.parse(header, TTL_HEADER);
  }

  /** A read's headers: its version, and for a key with a TTL its deadline and the time left. */
  static HttpField[] readHeaders(Entry e) {
    HttpField[] version = versionHeaders(e.version());
    if (!e.hasTtl()) {
      return version;
    }
    KeyTtl t = KeyTtl.of(Optional.of(e), System.currentTimeMillis());
    return new HttpField[] {version[0], version[1], new HttpField(EXPIRES_AT_HEADER, Long.toString(e.expiresAtMs())),
        new HttpField(TTL_MS_HEADER, Long.toString(t.remainingMs()))};
  }

  static HttpField[] versionHeaders(long version) {
    String v = Long.toString(version);
    return new HttpField[] {new HttpField(VERSION_HEADER, v), new HttpField(HttpHeader.ETAG, "\"" + v + "\"")};
  }

  static byte[] versionJson(long version, String flag, boolean value) {
    return ("{\"version\":" + version + ",\"" + flag + "\":" + value + "}").getBytes(StandardCharsets.US_ASCII);
  }
}
