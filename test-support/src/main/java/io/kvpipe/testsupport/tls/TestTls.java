package io.kvpipe.testsupport.tls;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import io.kvpipe.client.RaftTls;
import org.apache.ratis.conf.Parameters;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Throwaway certificate authorities for tests: the cluster CA every fixture's Ratis peers and clients share (made
 * once per JVM), and, for tests that must be refused, certificates from another CA. PEM files in a temporary
 * directory: a certificate (SAN 127.0.0.1 and localhost, for server and client use), its PKCS#8 key, the CA.
 */
public final class TestTls {
  /** The three PEM files a kvpipe process takes for mutual TLS ({@link #PLAINTEXT}: none, no TLS). */
  public record Files(Path cert, Path key, Path ca) {
    /** The kv-node / proxy flags naming them. */
    public String[] flags() {
      return cert == null ? new String[] {"--insecure-plaintext", "true"}
          : new String[] {"--tls-cert", cert.toString(), "--tls-key", key.toString(), "--tls-ca", ca.toString()};
    }

    /** The setting kvpipe's clients take ({@code ShardGroupClient.Builder.tls}, {@code MetaClient}). */
    public RaftTls raftTls() {
      return cert == null ? RaftTls.PLAINTEXT : RaftTls.of(cert, key, ca);
    }

    /** Ratis parameters for a server or a raw client using them (mutual TLS). */
    public Parameters parameters() {
      return raftTls().parameters();
    }
  }

  /** No TLS at all (for a benchmark pricing TLS against plaintext): {@code --insecure-plaintext true}. */
  public static final Files PLAINTEXT = new Files(null, null, null);

  private static Files cluster;

  private TestTls() {}

  /** The cluster's identity: one CA and one certificate it signed, shared by every peer and client of this JVM. */
  public static synchronized Files cluster() {
    if (cluster == null) {
      cluster = issue("kvpipe-test-cluster");
    }
    return cluster;
  }

  /** A certificate from a CA of its own, which the cluster does not trust (and which does not trust the cluster). */
  public static Files otherCa() {
    return issue("kvpipe-test-stranger");
  }

  /**
   * A CA of its own and a certificate that also names {@code addresses} (beside 127.0.0.1 and localhost): for
   * processes reached at other addresses, e.g. kv-nodes in network namespaces, since clients check the address.
   */
  public static Files forAddresses(String name, List<String> addresses) {
    return issue(name, addresses);
  }

  private static Files issue(String name) {
    return issue(name, List.of());
  }

  private static Files issue(String name, List<String> addresses) {
    try {
      Path dir = java.nio.file.Files.createTempDirectory(name);
      dir.toFile().deleteOnExit();
      KeyPair caKeys = ecKeys();
      X500Name caName = new X500Name("CN=" + name + " CA");
      Instant now = Instant.now();
      X509v3CertificateBuilder ca = new JcaX509v3CertificateBuilder(caName, serial(), Date.from(now.minusSeconds(60)),
          Date.from(now.plus(Duration.ofDays(30))), caName, caKeys.getPublic())
          .addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
          .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      X509Certificate caCert = sign(ca, caKeys);

      KeyPair keys = ecKeys();
      X509v3CertificateBuilder leaf = new JcaX509v3CertificateBuilder(caName, serial(),
          Date.from(now.minusSeconds(60)), Date.from(now.plus(Duration.ofDays(30))), new X500Name("CN=" + name),
          keys.getPublic())
          .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
          .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement))
          .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(new KeyPurposeId[] {
              KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}))
          .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(subjectNames(addresses)));
      X509Certificate cert = sign(leaf, caKeys);

      Files files = new Files(dir.resolve(name + ".pem"), dir.resolve(name + "-key.pem"), dir.resolve("ca.pem"));
      writePem(files.ca(), caCert);
      writePem(files.cert(), cert);
      writePem(files.key(), new JcaPKCS8Generator(keys.getPrivate(), null).generate());
      for (Path p : new Path[] {files.ca(), files.cert(), files.key()}) {
        p.toFile().deleteOnExit();
      }
      return files;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (Exception e) {
      throw new IllegalStateException("cannot make test certificates: " + e, e);
    }
  }

  private static GeneralName[] subjectNames(List<String> addresses) {
    List<GeneralName> names = new java.util.ArrayList<>(List.of(new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
        new GeneralName(GeneralName.dNSName, "localhost")));
    addresses.forEach(a -> names.add(new GeneralName(GeneralName.iPAddress, a)));
    return names.toArray(GeneralName[]::new);
  }

  private static KeyPair ecKeys() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }

  private static BigInteger serial() {
    return new BigInteger(64, new SecureRandom());
  }

  private static X509Certificate sign(X509v3CertificateBuilder b, KeyPair issuer) throws Exception {
    ContentSigner signer = new JcaContentSignerBuilder("SHA256withECDSA").build(issuer.getPrivate());
    return new JcaX509CertificateConverter().getCertificate(b.build(signer));
  }

  private static void writePem(Path file, Object object) throws IOException {
    try (Writer w = java.nio.file.Files.newBufferedWriter(file); JcaPEMWriter pem = new JcaPEMWriter(w)) {
      pem.writeObject(object);
    }
  }
}
