package io.kvpipe.common.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;

/**
 * Extra client properties from a Java properties file: what a deployment needs and kvpipe does not choose (SASL, SSL,
 * timeouts, rack, compression for Kafka; sslMode, trust stores, timeouts for MySQL's driver). One file per process; a
 * key may be prefixed with the client it is only for ({@code producer.}, {@code consumer.}, {@code admin.}), which
 * then wins over the same key without a prefix. Keys kvpipe's correctness rests on are refused at start rather than
 * silently overridden. Values may be secrets: only the file and the keys are ever printed. Immutable.
 */
public final class ClientProperties {
  /** The client prefixes understood in a file. */
  public static final List<String> CLIENTS = List.of("producer", "consumer", "admin");

  private static final ClientProperties NONE = new ClientProperties(Optional.empty(), Map.of());

  private final Optional<Path> file;
  private final Map<String, String> all;

  private ClientProperties(Optional<Path> file, Map<String, String> all) {
    this.file = file;
    this.all = Collections.unmodifiableMap(new TreeMap<>(all));
  }

  public static ClientProperties none() {
    return NONE;
  }

  /**
   * Reads {@code path} (empty or null: none).
   *
   * @param flag the flag that named the file, for error messages
   * @throws IllegalArgumentException if the file cannot be read
   */
  public static ClientProperties load(String path, String flag) {
    if (path == null || path.isBlank()) {
      return NONE;
    }
    Path p = Path.of(path.trim());
    Properties props = new Properties();
    try (Reader r = Files.newBufferedReader(p)) {
      props.load(r);
    } catch (IOException | IllegalArgumentException e) {
      throw new IllegalArgumentException("--" + flag + ": cannot read properties file " + p + ": " + e.getMessage(),
          e);
    }
    Map<String, String> m = new LinkedHashMap<>();
    props.stringPropertyNames().forEach(k -> m.put(k.trim(), props.getProperty(k).trim()));
    return new ClientProperties(Optional.of(p), m);
  }

  /** Every key as written in the file. */
  public Map<String, String> all() {
    return all;
  }

  public boolean isEmpty() {
    return all.isEmpty();
  }

  /** The properties for one client: keys without a client prefix, then {@code client.}-prefixed ones (prefix cut). */
  public Map<String, String> forClient(String client) {
    if (!CLIENTS.contains(client)) {
      throw new IllegalArgumentException("unknown client " + client + "; one of " + CLIENTS);
    }
    Map<String, String> out = new TreeMap<>();
    all.forEach((k, v) -> {
      if (CLIENTS.stream().noneMatch(c -> k.startsWith(c + "."))) {
        out.put(k, v);
      }
    });
    String prefix = client + ".";
    all.forEach((k, v) -> {
      if (k.startsWith(prefix)) {
        out.put(k.substring(prefix.length()), v);
      }
    });
    return out;
  }

  /**
   * @param keys the keys of {@code client} (or of the whole file, with client null) that kvpipe sets itself
   * @throws IllegalArgumentException naming the file and every refused key
   */
  public ClientProperties refuse(String client, Set<String> keys, String why) {
    List<String> bad = new ArrayList<>();
    (client == null ? all : forClient(client)).keySet().forEach(k -> {
      if (keys.contains(k)) {
        bad.add(k);
      }
    });
    if (!bad.isEmpty()) {
      throw new IllegalArgumentException(file.map(Path::toString).orElse("properties") + " sets " + bad
          + (client == null ? "" : " for the " + client) + ", which kvpipe sets itself: " + why);
    }
    return this;
  }

  /** For the printed configuration: the file and its keys, never the values (they may be passwords). */
  public String describe() {
    return file.map(p -> p + " (keys: " + String.join(", ", all.keySet()) + ")").orElse("(none)");
  }

  @Override
  public String toString() {
    return describe();
  }
}
