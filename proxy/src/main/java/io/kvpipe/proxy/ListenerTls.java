package io.kvpipe.proxy;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * TLS on the proxy's HTTP listener: a certificate chain and its private key, either as PEM files ({@code cert} and
 * {@code key}) or as one PKCS12 keystore ({@code cert} ending in {@code .p12} or {@code .pfx}, its password in
 * {@code passwordFile}, none for an empty password). Loaded by {@link io.kvpipe.proxy.http.TlsKeys}, re-read when
 * the files change, so a certificate is rotated without a restart.
 */
public record ListenerTls(Path cert, Optional<Path> key, Optional<Path> passwordFile) {
  public ListenerTls {
    Objects.requireNonNull(cert, "cert");
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(passwordFile, "passwordFile");
    if (isPkcs12(cert) && key.isPresent()) {
      throw new IllegalArgumentException("--http-tls-key is for a PEM certificate; a PKCS12 keystore (" + cert
          + ") holds its key");
    }
    if (!isPkcs12(cert) && key.isEmpty()) {
      throw new IllegalArgumentException("--http-tls-cert " + cert + " is PEM: --http-tls-key (its PEM private key)"
          + " is needed too (or give a .p12/.pfx keystore)");
    }
  }

  public boolean pkcs12() {
    return isPkcs12(cert);
  }

  static boolean isPkcs12(Path p) {
    String n = p.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
    return n.endsWith(".p12") || n.endsWith(".pfx");
  }

  @Override
  public String toString() {
    return pkcs12() ? "PKCS12 " + cert + passwordFile.map(f -> ", password in " + f).orElse("")
        : "PEM " + cert + ", key " + key.orElseThrow();
  }
}
