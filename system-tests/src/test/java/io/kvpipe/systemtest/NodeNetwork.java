package io.kvpipe.systemtest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * A private network for kv-nodes, so a nemesis can cut one off: each node runs in its own network namespace with a
 * veth pair to a bridge in this namespace, which holds the gateway address (the proxies, the broker and the test
 * reach the nodes through it). Cutting a node sets its bridge-side link down: it can reach no peer, proxy or broker,
 * and nothing reaches it, until healed. Needs root and iproute2 ({@code ip}). Names carry a random run id; namespaces
 * and bridges left by a run that died are swept at the next start. Not thread-safe beyond cut/heal of distinct nodes.
 *
 * <p>Several test JVMs may each hold a network at once (two checkouts testing on one machine): each holds a lock on a
 * file named by its run id ({@link #OWNERS}) for as long as its network lives, and the sweep removes only what no live
 * process holds; before, a sweep took any namespace with no process in it yet and any bridge with no port yet, i.e.
 * also the ones another JVM was still building.
 */
final class NodeNetwork implements AutoCloseable {
  private static final String NS_PREFIX = "kvp-";
  private static final String BRIDGE_PREFIX = "kvb";
  private static final int MAX_NODES = 8;
  /** One lock file per live network, named by its run id; the lock dies with its process. */
  private static final Path OWNERS = Path.of(System.getProperty("java.io.tmpdir"), "kvpipe-node-networks");

  private final String id;
  private final FileChannel owner;
  private final String bridge;
  private final String subnet;
  private final Map<String, String> hosts = new LinkedHashMap<>();
  private boolean forwardRuleAdded;

  private NodeNetwork(String id, FileChannel owner, String subnet) {
    this.id = id;
    this.owner = owner;
    this.bridge = BRIDGE_PREFIX + id;
    this.subnet = subnet;
  }

  /** Creates the bridge; nodes get their namespace when first asked for ({@link #host}). */
  static NodeNetwork create(long seed) {
    sweep();
    Random r = new Random(seed ^ System.nanoTime());
    String id = null;
    FileChannel owner = null;
    while (owner == null) {
      id = String.format("%04x", r.nextInt(0x10000));
      owner = claim(id);
    }
    String subnet = "10." + (200 + r.nextInt(50)) + "." + r.nextInt(256);
    NodeNetwork n = new NodeNetwork(id, owner, subnet);
    ip("link", "add", n.bridge, "type", "bridge");
    ip("addr", "add", n.gateway() + "/24", "dev", n.bridge);
    ip("link", "set", n.bridge, "up");
    n.allowBridgedTraffic();
    return n;
  }

  /**
   * Node-to-node packets cross the bridge; with br_netfilter loaded and {@code bridge-nf-call-iptables} on (as a
   * Docker engine leaves it), iptables' FORWARD chain judges them, and Docker's policy there is DROP: the nodes would
   * not reach each other (no group would elect a leader). So this bridge's own traffic is accepted first, by a rule
   * that names only this bridge and goes with it ({@link #close}).
   */
  private void allowBridgedTraffic() {
    if (!bridgeTrafficFiltered()) {
      return;
    }
    run(forwardRule("-I"), true);
    forwardRuleAdded = true;
  }

  private List<String> forwardRule(String action) {
    List<String> cmd = new ArrayList<>(List.of("iptables", "-w", action, "FORWARD"));
    if (action.equals("-I")) {
      cmd.add("1");
    }
    cmd.addAll(List.of("-i", bridge, "-o", bridge, "-m", "comment", "--comment", "kvpipe robustness " + id, "-j",
        "ACCEPT"));
    return cmd;
  }

  static boolean bridgeTrafficFiltered() {
    try {
      return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/sys/net/bridge/bridge-nf-call-iptables"))
          .trim().equals("1");
    } catch (IOException e) {
      return false; // br_netfilter not loaded: bridged packets never meet iptables
    }
  }

  /** The bridge's address: what the nodes reach the broker at. */
  String gateway() {
    return subnet + ".1";
  }

  /** The node's address, making its namespace and link on first use. */
  synchronized String host(String node) {
    return hosts.computeIfAbsent(node, n -> {
      String ns = namespace(n);
      String outside = "kvr" + id + n;
      String inside = "kvn" + id + n;
      if (hosts.size() >= MAX_NODES) {
        throw new IllegalStateException("at most " + MAX_NODES + " nodes on a NodeNetwork");
      }
      String address = subnet + "." + (10 + hosts.size() + 1);
      ip("netns", "add", ns);
      ip("link", "add", outside, "type", "veth", "peer", "name", inside);
      ip("link", "set", inside, "netns", ns);
      ip("link", "set", outside, "master", bridge);
      ip("link", "set", outside, "up");
      ip("-n", ns, "link", "set", "lo", "up");
      ip("-n", ns, "link", "set", inside, "name", "eth0");
      ip("-n", ns, "addr", "add", address + "/24", "dev", "eth0");
      ip("-n", ns, "link", "set", "eth0", "up");
      return address;
    });
  }

  /**
   * The addresses nodes may get (in the order they are asked for): the first {@value #MAX_NODES}, known before any
   * node starts, so one certificate can name them all.
   */
  List<String> nodeAddresses() {
    List<String> out = new ArrayList<>();
    for (int i = 1; i <= MAX_NODES; i++) {
      out.add(subnet + "." + (10 + i));
    }
    return out;
  }

  /** The command that starts a node's JVM in its namespace. */
  List<String> launcher(String node) {
    host(node);
    return List.of("ip", "netns", "exec", namespace(node));
  }

  /** Cuts the node off from everything (its link to the bridge goes down). */
  void cut(String node) {
    ip("link", "set", "kvr" + id + node, "down");
  }

  void heal(String node) {
    ip("link", "set", "kvr" + id + node, "up");
  }

  private String namespace(String node) {
    return NS_PREFIX + id + "-" + node;
  }

  /** Removes the namespaces (their veths go with them) and the bridge; the nodes must have stopped. */
  @Override
  public synchronized void close() {
    for (String node : hosts.keySet()) {
      ipQuiet("netns", "del", namespace(node));
    }
    ipQuiet("link", "del", bridge);
    if (forwardRuleAdded) {
      run(forwardRule("-D"), false);
    }
    release(id, owner);
  }

  /**
   * Namespaces of earlier runs with no process left in them, and bridges with no port left, of runs no live process
   * owns (a network another JVM is building has neither processes nor ports yet).
   */
  private static void sweep() {
    for (String line : run(List.of("ip", "netns", "list"), false).split("\n")) {
      String ns = line.split(" ")[0].trim();
      if (ns.startsWith(NS_PREFIX) && unowned(ns.substring(NS_PREFIX.length()).split("-")[0])
          && run(List.of("ip", "netns", "pids", ns), false).isBlank()) {
        ipQuiet("netns", "del", ns);
      }
    }
    for (String line : run(List.of("ip", "-o", "link", "show", "type", "bridge"), false).split("\n")) {
      String[] parts = line.split(":");
      if (parts.length > 1 && parts[1].trim().startsWith(BRIDGE_PREFIX)) {
        String br = parts[1].trim();
        if (unowned(br.substring(BRIDGE_PREFIX.length()))
            && run(List.of("ip", "-o", "link", "show", "master", br), false).isBlank()) {
          ipQuiet("link", "del", br);
        }
      }
    }
  }

  /** The lock that makes {@code id} this process's, or null if a live process (this one included) holds it. */
  static FileChannel claim(String id) {
    try {
      Files.createDirectories(OWNERS);
      FileChannel ch = FileChannel.open(OWNERS.resolve(id), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      try {
        if (ch.tryLock() != null) {
          return ch;
        }
      } catch (OverlappingFileLockException heldHere) {
        // this JVM holds it: in use
      }
      ch.close();
      return null;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot claim node network " + id + " under " + OWNERS, e);
    }
  }

  /** Whether no live process holds {@code id} (a network of a run that died, or of none). */
  static boolean unowned(String id) {
    FileChannel ch = claim(id);
    if (ch == null) {
      return false;
    }
    release(id, ch);
    return true;
  }

  private static void release(String id, FileChannel owner) {
    try {
      Files.deleteIfExists(OWNERS.resolve(id)); // while still locked: no one else can be holding this file now
      owner.close();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot release node network " + id, e);
    }
  }

  /** Whether this machine can make namespaces (root, iproute2). */
  static String unavailableBecause() {
    if (!"root".equals(System.getProperty("user.name"))) {
      return "network partitions need root (ip netns)";
    }
    try {
      run(List.of("ip", "netns", "list"), true);
      if (bridgeTrafficFiltered()) {
        run(List.of("iptables", "-w", "-S", "FORWARD"), true);
      }
      return null;
    } catch (IllegalStateException e) {
      return "network partitions need iproute2's ip netns (and iptables where bridged packets are filtered): "
          + e.getMessage();
    }
  }

  private static void ip(String... args) {
    List<String> cmd = new ArrayList<>(List.of("ip"));
    cmd.addAll(List.of(args));
    run(cmd, true);
  }

  private static void ipQuiet(String... args) {
    List<String> cmd = new ArrayList<>(List.of("ip"));
    cmd.addAll(List.of(args));
    run(cmd, false);
  }

  private static String run(List<String> cmd, boolean check) {
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException("timed out: " + String.join(" ", cmd));
      }
      if (check && p.exitValue() != 0) {
        throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out.trim());
      }
      return out;
    } catch (IOException e) {
      if (check) {
        throw new IllegalStateException("cannot run " + String.join(" ", cmd) + ": " + e.getMessage(), e);
      }
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted: " + String.join(" ", cmd), e);
    }
  }
}
