package io.kvpipe.client;

import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.grpc.GrpcFactory;
import org.apache.ratis.grpc.GrpcTlsConfig;

/**
 * How a process talks on Ratis ports: mutual TLS with the cluster's CA (the default a process must be given), or
 * plaintext (only when asked for explicitly). With TLS, every Ratis connection — peer to peer, clients to nodes,
 * admin calls — presents {@code certChain} / {@code privateKey} and accepts only a peer whose certificate
 * {@code trustedCa} signed: a caller without such a certificate cannot submit a command.
 *
 * @param certChain PEM certificate (chain) of this process, signed by the cluster's CA
 * @param privateKey PEM (PKCS#8) private key of that certificate
 * @param trustedCa PEM certificate(s) of the CA every peer's certificate must chain to
 */
public record RaftTls(Path certChain, Path privateKey, Path trustedCa) {
  /** No TLS: anyone who reaches a Ratis port can submit any command. For loopback experiments only. */
  public static final RaftTls PLAINTEXT = new RaftTls(null, null, null);

  public RaftTls {
    boolean none = certChain == null && privateKey == null && trustedCa == null;
    boolean all = certChain != null && privateKey != null && trustedCa != null;
    if (!none && !all) {
      throw new IllegalArgumentException("TLS needs a certificate, its private key and the CA certificate together");
    }
  }

  /** TLS from three PEM files, each checked to exist and be readable now, so a typo fails at start, not later. */
  public static RaftTls of(Path certChain, Path privateKey, Path trustedCa) {
    for (Path p : new Path[] {certChain, privateKey, trustedCa}) {
      Objects.requireNonNull(p, "a TLS file");
      if (!Files.isReadable(p)) {
        throw new IllegalArgumentException("TLS file " + p + " does not exist or cannot be read");
      }
    }
    return new RaftTls(certChain, privateKey, trustedCa);
  }

  /**
   * The setting a process was given: all three files, or none and {@code plaintext} (an explicit choice). Anything
   * else is refused with what to give instead. The flag names are the same in every kvpipe process.
   */
  public static RaftTls fromSettings(String cert, String key, String ca, boolean plaintext) {
    boolean any = notBlank(cert) || notBlank(key) || notBlank(ca);
    if (plaintext) {
      if (any) {
        throw new IllegalArgumentException("--insecure-plaintext true and TLS files exclude each other");
      }
      return PLAINTEXT;
    }
    if (!notBlank(cert) || !notBlank(key) || !notBlank(ca)) {
      throw new IllegalArgumentException("Ratis ports need mutual TLS: give --tls-cert, --tls-key and --tls-ca (PEM"
          + " files; scripts/tls-init.sh makes a throwaway CA and certificates), or --insecure-plaintext true to run"
          + " without (any caller that reaches a Ratis port could then submit any command)");
    }
    return of(Path.of(cert.trim()), Path.of(key.trim()), Path.of(ca.trim()));
  }

  private static boolean notBlank(String s) {
    return s != null && !s.isBlank();
  }

  /**
   * The gRPC factory for this setting's Raft clients, one per setting in the process: each factory builds its TLS
   * contexts (certificate, key and CA read and turned into a key store, PBKDF2 key derivation included) when its
   * first client is made: 11-13 ms of CPU per shard-group client the proxy built, on its topology watcher's thread
   * (scripts/bench-topology.sh, a group added every other change). The files are read once per process: rotating them
   * means restarting the process anyway (docs/security.md).
   */
  public GrpcFactory clientFactory() {
    return CLIENT_FACTORIES.computeIfAbsent(this, t -> new GrpcFactory(t.parameters()));
  }

  private static final Map<RaftTls, GrpcFactory> CLIENT_FACTORIES = new ConcurrentHashMap<>();

  public boolean enabled() {
    return certChain != null;
  }

  /** Ratis parameters carrying this TLS setting for servers, clients and admin calls alike. */
  public Parameters parameters() {
    Parameters p = new Parameters();
    if (enabled()) {
      try {
        GrpcConfigKeys.TLS.setConf(p, new GrpcTlsConfig(privateKey.toFile(), certChain.toFile(),
            trustedCa.toFile(), true));
      } catch (RuntimeException e) {
        throw new KvException(ErrorCode.INTERNAL, "cannot use the TLS files " + this + ": " + e.getMessage(), e);
      }
    }
    return p;
  }

  @Override
  public String toString() {
    return enabled() ? "mutual TLS (cert " + certChain + ", key " + privateKey + ", CA " + trustedCa + ")"
        : "PLAINTEXT (no TLS: any caller that reaches a Ratis port can submit commands)";
  }
}
