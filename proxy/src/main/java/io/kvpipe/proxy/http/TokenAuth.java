package io.kvpipe.proxy.http;

import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * Bearer-token checks. Tokens are compared in constant time (no early exit on the first differing byte), and both
 * tokens are always compared so the time taken does not tell which one almost matched. Thread-safe (immutable).
 */
public final class TokenAuth {
  private static final String BEARER = "Bearer ";

  private final byte[] dataToken;
  private final byte[] adminToken;

  public TokenAuth(String dataToken, String adminToken) {
    this.dataToken = dataToken.getBytes(StandardCharsets.UTF_8);
    this.adminToken = adminToken.getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Checks an {@code Authorization} header value against what a route needs.
   *
   * @throws KvException UNAUTHORIZED without a valid token, FORBIDDEN for the data token on an admin route
   */
  public void check(Access needed, String authorization) {
    if (needed == Access.OPEN) {
      return;
    }
    if (authorization == null || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
      throw new KvException(ErrorCode.UNAUTHORIZED, "a bearer token is required");
    }
    byte[] presented = authorization.substring(BEARER.length()).trim().getBytes(StandardCharsets.UTF_8);
    boolean isData = MessageDigest.isEqual(presented, dataToken);
    boolean isAdmin = MessageDigest.isEqual(presented, adminToken);
    if (!isData && !isAdmin) {
      throw new KvException(ErrorCode.UNAUTHORIZED, "invalid token");
    }
    if (needed == Access.ADMIN && !isAdmin) {
      throw new KvException(ErrorCode.FORBIDDEN, "this endpoint needs the admin token");
    }
  }
}
