package io.kvpipe.testsupport.kafka;

import io.kvpipe.testsupport.process.ChildLog4j;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The configuration files of a single-node KRaft broker (combined broker + controller) on loopback: the one place
 * its settings live, used by {@link KafkaBroker} and, through {@link #main}, by {@code scripts/kafka-local.sh}.
 *
 * @param dir where the files and the data directory go
 * @param brokerPort client listener port (PLAINTEXT)
 * @param controllerPort KRaft controller listener port
 * @param overrides extra or replaced broker properties
 */
public record BrokerConfigFiles(Path dir, int brokerPort, int controllerPort, Map<String, String> overrides) {
  public BrokerConfigFiles {
    overrides = Map.copyOf(overrides);
  }

  public Path serverProperties() {
    return dir.resolve("server.properties");
  }

  public Path log4jConfig() {
    return dir.resolve("log4j2.properties");
  }

  public Path dataDir() {
    return dir.resolve("data");
  }

  /**
   * Not a Kafka property: the address of the client listener (127.0.0.1 unless given, e.g. a bridge's address that
   * processes in network namespaces can reach). Taken out of the properties written.
   */
  public static final String LISTENER_HOST = "kvpipe.listener.host";

  public String bootstrapServers() {
    return listenerHost() + ":" + brokerPort;
  }

  /** The client listener's address (see {@link #LISTENER_HOST}). */
  public String listenerHost() {
    return overrides.getOrDefault(LISTENER_HOST, "127.0.0.1");
  }

  /** The broker properties. Sized for a small shared test machine; every replication setting is 1 (one node). */
  public Map<String, String> properties() {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("process.roles", "broker,controller");
    p.put("node.id", "1");
    p.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
    p.put("listeners", "PLAINTEXT://" + listenerHost() + ":" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
    p.put("advertised.listeners", "PLAINTEXT://" + listenerHost() + ":" + brokerPort);
    p.put("controller.listener.names", "CONTROLLER");
    p.put("inter.broker.listener.name", "PLAINTEXT");
    p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    p.put("log.dirs", dataDir().toAbsolutePath().toString());
    // Without replication factor 1 for the internal topics, consumer groups and transactions silently never work.
    p.put("offsets.topic.replication.factor", "1");
    p.put("offsets.topic.num.partitions", "5");
    p.put("transaction.state.log.replication.factor", "1");
    p.put("transaction.state.log.min.isr", "1");
    p.put("transaction.state.log.num.partitions", "5");
    p.put("share.coordinator.state.topic.replication.factor", "1");
    p.put("share.coordinator.state.topic.min.isr", "1");
    p.put("default.replication.factor", "1");
    p.put("min.insync.replicas", "1");
    p.put("num.partitions", "1");
    p.put("group.initial.rebalance.delay.ms", "0");
    // The application creates its topics; a typo must fail, not silently make a new topic.
    p.put("auto.create.topics.enable", "false");
    // Light on 2 shared cores and a 512 MiB heap (the cleaner's default dedupe buffer alone is 128 MiB).
    p.put("num.network.threads", "2");
    p.put("num.io.threads", "2");
    p.put("background.threads", "2");
    p.put("log.cleaner.dedupe.buffer.size", String.valueOf(8 * 1024 * 1024));
    p.put("log.cleaner.threads", "1");
    p.putAll(overrides);
    p.remove(LISTENER_HOST);
    return p;
  }

  /** Writes server.properties and the log4j2 config (WARN, to stdout, which the launcher sends to a log file). */
  public BrokerConfigFiles write() {
    try {
      Files.createDirectories(dir);
      String server = properties().entrySet().stream()
          .map(e -> e.getKey() + "=" + e.getValue())
          .collect(Collectors.joining("\n", "# written by " + getClass().getName() + "\n", "\n"));
      Files.writeString(serverProperties(), server);
      ChildLog4j.write(log4jConfig());
      return this;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write broker config into " + dir, e);
    }
  }

  /** The JVM options that point the broker's log4j2 at {@link #log4jConfig()}. */
  public String log4jJvmArg() {
    return ChildLog4j.jvmArg(log4jConfig());
  }

  /** For scripts: {@code BrokerConfigFiles <dir> <brokerPort> <controllerPort>} writes the files, prints nothing. */
  public static void main(String[] args) {
    if (args.length != 3) {
      System.err.println("usage: BrokerConfigFiles <dir> <brokerPort> <controllerPort>");
      System.exit(2);
    }
    new BrokerConfigFiles(Path.of(args[0]), Integer.parseInt(args[1]), Integer.parseInt(args[2]), Map.of()).write();
  }
}
