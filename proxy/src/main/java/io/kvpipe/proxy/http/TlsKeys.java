package io.kvpipe.proxy.http;

import io.kvpipe.proxy.ListenerTls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;

/**
 * Reads the listener's certificate chain and key into a {@link KeyStore} for Jetty: PEM (certificates, then an
 * unencrypted PKCS#8 key: {@code -----BEGIN PRIVATE KEY-----}, what {@code openssl genpkey} and {@code openssl req
 * -newkey} write) or PKCS12. Every failure is an IllegalArgumentException saying which file and why.
 */
public final class TlsKeys {
  /** The password of the in-memory keystore built from PEM files (never written anywhere). */
  static final char[] PEM_STORE_PASSWORD = "kvpipe-pem".toCharArray();

  private TlsKeys() {}

  /** The loaded keystore and the password of its key entry. */
  public record Loaded(KeyStore store, char[] password) {}

  public static Loaded load(ListenerTls tls) {
    return tls.pkcs12() ? pkcs12(tls) : pem(tls);
  }

  /**
   * A server-side TLS context presenting {@code loaded}'s key and chain, TLS 1.2 and 1.3 only (the JDK's defaults
   * otherwise), for listeners that are not Jetty's (the Redis-protocol port).
   */
  public static javax.net.ssl.SSLContext serverContext(Loaded loaded) {
    try {
      javax.net.ssl.KeyManagerFactory kmf =
          javax.net.ssl.KeyManagerFactory.getInstance(javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(loaded.store(), loaded.password());
      javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
      ctx.init(kmf.getKeyManagers(), null, null);
      return ctx;
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("cannot build a TLS context from the certificate: " + e.getMessage(), e);
    }
  }

  private static Loaded pkcs12(ListenerTls tls) {
    char[] password = tls.passwordFile().map(f -> read(f).strip().toCharArray()).orElse(new char[0]);
    try (InputStream in = Files.newInputStream(tls.cert())) {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(in, password);
      if (!hasKey(ks)) {
        throw new IllegalArgumentException("PKCS12 keystore " + tls.cert() + " holds no private key");
      }
      return new Loaded(ks, password);
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException("cannot read PKCS12 keystore " + tls.cert()
          + " (wrong password file?): " + e.getMessage(), e);
    }
  }

  private static Loaded pem(ListenerTls tls) {
    Path keyFile = tls.key().orElseThrow();
    Collection<? extends Certificate> chain;
    try (InputStream in = new ByteArrayInputStream(read(tls.cert()).getBytes(StandardCharsets.US_ASCII))) {
      chain = CertificateFactory.getInstance("X.509").generateCertificates(in);
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException("cannot read PEM certificates from " + tls.cert() + ": " + e.getMessage(), e);
    }
    if (chain.isEmpty()) {
      throw new IllegalArgumentException("no certificate in " + tls.cert());
    }
    PrivateKey key = privateKey(keyFile, read(keyFile));
    try {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setKeyEntry("proxy", key, PEM_STORE_PASSWORD, chain.toArray(Certificate[]::new));
      return new Loaded(ks, PEM_STORE_PASSWORD);
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException("the key in " + keyFile + " does not go with the certificate in "
          + tls.cert() + ": " + e.getMessage(), e);
    }
  }

  static PrivateKey privateKey(Path file, String pem) {
    String begin = "-----BEGIN PRIVATE KEY-----";
    int b = pem.indexOf(begin);
    int e = pem.indexOf("-----END PRIVATE KEY-----");
    if (b < 0 || e < b) {
      String kind = pem.contains("BEGIN RSA PRIVATE KEY") || pem.contains("BEGIN EC PRIVATE KEY")
          ? " (it is PKCS#1/SEC1: convert it with openssl pkcs8 -topk8 -nocrypt)"
          : pem.contains("BEGIN ENCRYPTED PRIVATE KEY") ? " (it is encrypted: the listener needs it unencrypted,"
              + " readable by the proxy's user only)" : "";
      throw new IllegalArgumentException(file + " holds no unencrypted PKCS#8 key (" + begin + ")" + kind);
    }
    byte[] der;
    try {
      der = Base64.getMimeDecoder().decode(pem.substring(b + begin.length(), e));
    } catch (IllegalArgumentException ex) {
      throw new IllegalArgumentException(file + ": the key is not valid base64");
    }
    for (String algorithm : new String[] {"RSA", "EC", "Ed25519"}) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
      } catch (GeneralSecurityException ignored) {
        // not this algorithm: try the next one
      }
    }
    throw new IllegalArgumentException(file + ": the key is neither RSA, EC nor Ed25519");
  }

  private static boolean hasKey(KeyStore ks) throws GeneralSecurityException {
    for (String alias : java.util.Collections.list(ks.aliases())) {
      if (ks.isKeyEntry(alias)) {
        return true;
      }
    }
    return false;
  }

  private static String read(Path file) {
    try {
      return Files.readString(file, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read " + file + ": " + e, e);
    }
  }
}
