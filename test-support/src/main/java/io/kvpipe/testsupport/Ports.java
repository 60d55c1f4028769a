package io.kvpipe.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Free loopback ports for fixtures: free when handed out, never handed out twice by this JVM, and below the kernel's
 * ephemeral range. Why not simply bind port 0: the kernel may give the same port to two calls in a row (nothing holds
 * it between them), and a port from the ephemeral range can be taken, before the fixture binds it, as the local end of
 * any outgoing connection. Either way a child process then fails to bind and exits while a check on the port passes on
 * someone else's socket (a CI run lost a kv-node that way).
 */
public final class Ports {
  /** Where ports are drawn from when the ephemeral range is known: below it, above the well-known services. */
  static final int LOW = 15_000;

  private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();
  private static final int HIGH = ephemeralLow();

  private Ports() {}

  /** A port that was free a moment ago on 127.0.0.1 and that no earlier call returned (bind it soon after). */
  public static int freePort() {
    for (int attempt = 0; attempt < 1_000; attempt++) {
      int port = HIGH > LOW + 1_000 ? ThreadLocalRandom.current().nextInt(LOW, HIGH) : kernelPick();
      if (bindable(port) && HANDED_OUT.add(port)) {
        return port;
      }
    }
    throw new IllegalStateException("no free loopback port found in 1,000 tries");
  }

  /**
   * The first of {@code n} consecutive ports that were all free a moment ago, none returned before by this JVM (by
   * this method or {@link #freePort}), from the same range: for a fixture whose processes derive their ports from a
   * base (the dev stack's kv-nodes: base + index).
   */
  public static int freeBlock(int n) {
    int high = HIGH > LOW + 1_000 ? HIGH : 60_000;
    for (int attempt = 0; attempt < 1_000; attempt++) {
      int base = ThreadLocalRandom.current().nextInt(LOW, high - n);
      int reserved = 0;
      while (reserved < n && bindable(base + reserved) && HANDED_OUT.add(base + reserved)) {
        reserved++;
      }
      if (reserved == n) {
        return base;
      }
      for (int i = 0; i < reserved; i++) {
        HANDED_OUT.remove(base + i);
      }
    }
    throw new IllegalStateException("no block of " + n + " free loopback ports found in 1,000 tries");
  }

  private static boolean bindable(int port) {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(true);
      s.bind(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
      return true;
    } catch (IOException inUse) {
      return false;
    }
  }

  private static int kernelPick() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The first port of Linux's ephemeral range; 0 where it cannot be read (then the kernel picks, as before). */
  static int ephemeralLow() {
    try {
      String[] range = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim().split("\\s+");
      return Integer.parseInt(range[0]);
    } catch (IOException | RuntimeException unknown) {
      return 0;
    }
  }
}
