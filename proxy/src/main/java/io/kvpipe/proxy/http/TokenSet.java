package io.kvpipe.proxy.http;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

/**
 * The bearer tokens in force, per role, kept only as SHA-256 digests: a presented token is hashed once and compared
 * with every digest of both roles in constant time (no early exit, same work whichever matched, and the digests' fixed
 * length hides the tokens' lengths). Immutable.
 */
public final class TokenSet {
  private final byte[][] data;
  private final byte[][] admin;

  private TokenSet(byte[][] data, byte[][] admin) {
    this.data = data;
    this.admin = admin;
  }

  public static TokenSet of(List<String> data, List<String> admin) {
    return new TokenSet(data.stream().map(TokenSet::digest).toArray(byte[][]::new),
        admin.stream().map(TokenSet::digest).toArray(byte[][]::new));
  }

  public int dataCount() {
    return data.length;
  }

  public int adminCount() {
    return admin.length;
  }

  /** What a presented token is. */
  public enum Role { NONE, DATA, ADMIN }

  public Role roleOf(String presented) {
    byte[] d = digest(presented);
    boolean isData = matchesAny(d, data);
    boolean isAdmin = matchesAny(d, admin);
    return isAdmin ? Role.ADMIN : isData ? Role.DATA : Role.NONE;
  }

  private static boolean matchesAny(byte[] presented, byte[][] known) {
    boolean any = false;
    for (byte[] k : known) {
      any |= MessageDigest.isEqual(presented, k);
    }
    return any;
  }

  /**
   * Cloned per use: {@code MessageDigest.getInstance} walks the provider list on every call, which a profile of the
   * proxy under load showed as most of the cost of checking a token (every request checks one).
   */
  private static final MessageDigest SHA_256 = sha256();

  static byte[] digest(String token) {
    MessageDigest md;
    try {
      md = (MessageDigest) SHA_256.clone();
    } catch (CloneNotSupportedException e) {
      md = sha256(); // a provider whose digests cannot be cloned: a fresh instance does the same work, slower
    }
    return md.digest(token.getBytes(StandardCharsets.UTF_8));
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
