package io.kvpipe.proxy.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvpipe.proxy.HttpLimits;
import io.kvpipe.proxy.ListenerTls;
import io.kvpipe.proxy.ProxyConfigParser;
import io.kvpipe.proxy.ProxyMetrics;
import java.io.FileInputStream;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** HTTPS on the proxy's listener, with PEM files or a PKCS12 keystore, certificates re-read when they change. */
class TlsListenerTest {
  private static final String TOKEN = "data-token-for-tests";
  private static final HttpLimits LIMITS = new HttpLimits(8192, 4096, 1 << 20, 4, 16);

  @TempDir
  static Path dir;

  static Path p12;
  static Path password;
  static Path certPem;
  static Path keyPem;
  static Path otherP12;

  @BeforeAll
  static void keys() throws Exception {
    password = Files.writeString(dir.resolve("password"), "store-secret\n");
    p12 = keytool("proxy.p12", "store-secret");
    otherP12 = keytool("other.p12", "store-secret");
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (FileInputStream in = new FileInputStream(p12.toFile())) {
      ks.load(in, "store-secret".toCharArray());
    }
    certPem = Files.writeString(dir.resolve("proxy.crt"), pem("CERTIFICATE", ks.getCertificate("proxy").getEncoded()));
    keyPem = Files.writeString(dir.resolve("proxy.key"), pem("PRIVATE KEY",
        ks.getKey("proxy", "store-secret".toCharArray()).getEncoded()));
  }

  /** A self-signed key pair for 127.0.0.1 from the JDK's keytool (what dev-stack.sh and compose use). */
  static Path keytool(String name, String storePassword) throws Exception {
    Path out = dir.resolve(name);
    String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
    Process p = new ProcessBuilder(keytool, "-genkeypair", "-alias", "proxy", "-keyalg", "EC", "-groupname",
        "secp256r1", "-validity", "2", "-dname", "CN=kvpipe-proxy-test", "-ext", "SAN=ip:127.0.0.1,dns:localhost",
        "-storetype", "PKCS12", "-keystore", out.toString(), "-storepass", storePassword)
        .redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor()).as(output).isZero();
    return out;
  }

  static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }

  private static HttpListener listener(ListenerTls tls) throws Exception {
    Routes routes = Routes.builder().exact("/ping", "ping", Access.DATA, "GET",
        (Routes.Action) ex -> ex.sendBytes(200, "pong".getBytes())).build();
    HttpListener l = new HttpListener("127.0.0.1", 0, Duration.ofSeconds(30), LIMITS, Optional.of(tls),
        new ProxyHandler(routes, new TokenAuth(TOKEN, "admin-token-for-tests"), new ProxyMetrics(),
            LIMITS.maxUriBytes()), new ProxyMetrics());
    l.start();
    return l;
  }

  private static HttpClient trusting(Path keystore) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    try (FileInputStream in = new FileInputStream(keystore.toFile())) {
      trust.load(in, "store-secret".toCharArray());
    }
    KeyStore certsOnly = KeyStore.getInstance("PKCS12");
    certsOnly.load(null, null);
    certsOnly.setCertificateEntry("proxy", trust.getCertificate("proxy"));
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(certsOnly);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return HttpClient.newBuilder().sslContext(ctx).connectTimeout(Duration.ofSeconds(5)).build();
  }

  private static HttpResponse<String> get(HttpClient client, String url) throws Exception {
    return client.send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + TOKEN)
        .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void pemCertificateAndKeyServeHttpsAndPlainHttpIsRefused() throws Exception {
    try (HttpListener l = listener(new ListenerTls(certPem, Optional.of(keyPem), Optional.empty()))) {
      assertThat(l.tls()).isTrue();
      HttpResponse<String> r = get(trusting(p12), "https://127.0.0.1:" + l.port() + "/ping");
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("pong");
      assertThat(plainRequest(l.port())).doesNotStartWith("HTTP/1.1 200");
      // A client that does not trust this certificate gets no answer at all.
      assertThatThrownBy(() -> get(trusting(otherP12), "https://127.0.0.1:" + l.port() + "/ping"))
          .isInstanceOf(javax.net.ssl.SSLHandshakeException.class);
    }
  }

  @Test
  void aPkcs12KeystoreWithItsPasswordFileServesHttps() throws Exception {
    try (HttpListener l = listener(new ListenerTls(p12, Optional.empty(), Optional.of(password)))) {
      assertThat(get(trusting(p12), "https://127.0.0.1:" + l.port() + "/ping").statusCode()).isEqualTo(200);
    }
  }

  @Test
  void aReplacedCertificateIsServedWithoutARestart() throws Exception {
    Path live = Files.copy(p12, dir.resolve("live.p12"));
    try (HttpListener l = listener(new ListenerTls(live, Optional.empty(), Optional.of(password)))) {
      BigInteger before = servedSerial(l.port());
      assertThat(l.reloadTlsIfChanged()).isFalse();
      Files.copy(otherP12, live, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      Files.setLastModifiedTime(live, FileTime.fromMillis(System.currentTimeMillis() + 10_000));
      assertThat(l.reloadTlsIfChanged()).isTrue();
      BigInteger after = servedSerial(l.port());
      assertThat(after).isNotEqualTo(before);
      // A broken replacement keeps the certificate in use.
      Files.writeString(live, "not a keystore");
      assertThat(l.reloadTlsIfChanged()).isFalse();
      assertThat(servedSerial(l.port())).isEqualTo(after);
    }
  }

  @Test
  void badTlsSettingsAreClearErrorsAtStart() {
    Map<String, String> env = Map.of("KVPIPE_META_PEERS", "n1@127.0.0.1:9001", "KVPIPE_INSECURE_PLAINTEXT", "true",
        "KVPIPE_TOKEN", "data-token-1", "KVPIPE_ADMIN_TOKEN", "admin-token-1");
    assertThat(ProxyConfigParser.parse(new String[] {"--http-tls-cert", certPem.toString(), "--http-tls-key",
        keyPem.toString()}, env).describe()).contains("(https)").doesNotContain("BEGIN");
    assertThatThrownBy(() -> ProxyConfigParser.parse(new String[] {"--http-tls-cert", certPem.toString()}, env))
        .hasMessageContaining("--http-tls-key");
    assertThatThrownBy(() -> ProxyConfigParser.parse(new String[] {"--http-tls-key", keyPem.toString()}, env))
        .hasMessageContaining("need --http-tls-cert");
    assertThatThrownBy(() -> ProxyConfigParser.parse(new String[] {"--http-tls-cert", p12.toString()}, env))
        .hasMessageContaining("cannot read PKCS12 keystore");
    assertThatThrownBy(() -> ProxyConfigParser.parse(new String[] {"--http-tls-cert", certPem.toString(),
        "--http-tls-key", certPem.toString()}, env)).hasMessageContaining("no unencrypted PKCS#8 key");
    assertThatThrownBy(() -> ProxyConfigParser.parse(new String[] {"--http-tls-cert", dir.resolve("nope.crt").toString(),
        "--http-tls-key", keyPem.toString()}, env)).hasMessageContaining("cannot read");
  }

  /** What a plain-HTTP request to the HTTPS port gets back (the listener closes the connection). */
  private static String plainRequest(int port) throws Exception {
    try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
      s.setSoTimeout(5_000);
      s.getOutputStream().write(("GET /ping HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN
          + "\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      return new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.ISO_8859_1);
    }
  }

  private static BigInteger servedSerial(int port) throws Exception {
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, new javax.net.ssl.TrustManager[] {new javax.net.ssl.X509TrustManager() {
      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType) {}

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType) {}

      @Override
      public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
      }
    }}, null);
    try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", port)) {
      s.startHandshake();
      return ((X509Certificate) s.getSession().getPeerCertificates()[0]).getSerialNumber();
    }
  }
}
