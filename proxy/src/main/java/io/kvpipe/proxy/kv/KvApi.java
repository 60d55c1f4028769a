package io.kvpipe.proxy.kv;

import io.kvpipe.common.Keys;
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
 * {@code If-None-Match: *} makes a put create-only. Everything here is asynchronous: no Jetty thread waits for Raft.
 */
public final class KvApi {
  public static final String VERSION_HEADER = "X-Kv-Version";

  private final KvRouter router;
  private final int maxValueBytes;
  private final long maxBodyBytes;
  private final BatchApi batch;

  public KvApi(KvRouter router, int maxValueBytes, long maxBodyBytes, long maxBatchGetBytes,
               io.kvpipe.proxy.ProxyMetrics metrics) {
    this.router = router;
    this.maxValueBytes = maxValueBytes;
    this.maxBodyBytes = maxBodyBytes;
    this.batch = new BatchApi(router, maxValueBytes, maxBatchGetBytes, metrics);
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
        ex.sendBytes(200, found.get().value(), versionHeaders(found.get().version()));
      }
    });
  }

  public void put(Exchange ex) {
    byte[] key = KeyPath.decode(ex.tail());
    String k = new String(key, StandardCharsets.UTF_8);
    long expected = expectedVersion(ex, true);
    ex.readBody(maxValueBytes, value -> {
      Keys.validateValue(value, maxValueBytes);
      router.<Reply.Written>write(key, c -> c.putAsync(k, value, expected), ex.startNanos())
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

  static HttpField[] versionHeaders(long version) {
    String v = Long.toString(version);
    return new HttpField[] {new HttpField(VERSION_HEADER, v), new HttpField(HttpHeader.ETAG, "\"" + v + "\"")};
  }

  static byte[] versionJson(long version, String flag, boolean value) {
    return ("{\"version\":" + version + ",\"" + flag + "\":" + value + "}").getBytes(StandardCharsets.US_ASCII);
  }
}
