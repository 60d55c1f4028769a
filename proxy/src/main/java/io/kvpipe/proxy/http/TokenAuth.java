package io.kvpipe.proxy.http;

import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import java.util.List;
import java.util.function.Supplier;

/**
 * Bearer-token checks against the tokens in force ({@link TokenSet}, constant-time), which may change while the proxy
 * runs (token files re-read on change). Thread-safe.
 */
public final class TokenAuth {
  private static final String BEARER = "Bearer ";

  private final Supplier<TokenSet> tokens;

  public TokenAuth(Supplier<TokenSet> tokens) {
    this.tokens = tokens;
  }

  /** Fixed tokens, one per role (tests). */
  public TokenAuth(String dataToken, String adminToken) {
    TokenSet fixed = TokenSet.of(List.of(dataToken), List.of(adminToken));
    this.tokens = () -> fixed;
  }

  /**
   * Checks an {@code Authorization} header value against what a route needs.
   *
   * @throws KvException UNAUTHORIZED without a valid token, FORBIDDEN for a data token on an admin route
   */
  public void check(Access needed, String authorization) {
    if (needed == Access.OPEN) {
      return;
    }
    if (authorization == null || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
      throw new KvException(ErrorCode.UNAUTHORIZED, "a bearer token is required");
    }
    TokenSet.Role role = tokens.get().roleOf(authorization.substring(BEARER.length()).trim());
    if (role == TokenSet.Role.NONE) {
      throw new KvException(ErrorCode.UNAUTHORIZED, "invalid token");
    }
    if (needed == Access.ADMIN && role != TokenSet.Role.ADMIN) {
      throw new KvException(ErrorCode.FORBIDDEN, "this endpoint needs the admin token");
    }
  }
}
