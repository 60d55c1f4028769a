package io.kvpipe.testsupport.kafka;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.apache.kafka.common.Uuid;

/**
 * What {@code kafka-storage format} writes into a fresh data directory, remembered per JVM so that only the first
 * broker of a test JVM pays for the format tool's own JVM (1 s idle, 5-6 s on 2 busy cores; a module's ITs start a
 * broker per class). The format writes {@code meta.properties} (cluster id, node id, directory id) and
 * {@code bootstrap.checkpoint} (the metadata version and feature levels the properties ask for); the checkpoint does
 * not depend on ports or paths, so a later broker with the same overrides gets the same checkpoint and a
 * {@code meta.properties} with a cluster id and directory id of its own: what a format of its own would write.
 */
final class FormattedStorage {
  static final String META = "meta.properties";

  /** Per broker-property overrides (listener host left out: it only changes addresses): data dir file → bytes. */
  private static final Map<Map<String, String>, Map<Path, byte[]>> TEMPLATES = new ConcurrentHashMap<>();

  private FormattedStorage() {}

  /** The cache key of a broker's overrides; null (always run the tool) if they move its data or metadata dirs. */
  static Map<String, String> key(Map<String, String> overrides) {
    if (overrides.keySet().stream().anyMatch(k -> k.startsWith("log.dir") || k.startsWith("metadata.log.dir"))) {
      return null;
    }
    Map<String, String> k = new LinkedHashMap<>(overrides);
    k.remove(BrokerConfigFiles.LISTENER_HOST);
    return Map.copyOf(k);
  }

  /** Writes the remembered format into the (empty) {@code dataDir}; false if nothing is remembered for this key. */
  static boolean writeRemembered(Map<String, String> key, Path dataDir) {
    Map<Path, byte[]> files = TEMPLATES.get(key);
    if (files == null) {
      return false;
    }
    String clusterId = Uuid.randomUuid().toString();
    try {
      for (Map.Entry<Path, byte[]> f : files.entrySet()) {
        Path target = dataDir.resolve(f.getKey());
        Files.createDirectories(target.getParent());
        if (target.getFileName().toString().equals(META)) {
          Properties p = new Properties();
          try (Reader r = new java.io.StringReader(new String(f.getValue(), java.nio.charset.StandardCharsets.UTF_8))) {
            p.load(r);
          }
          p.setProperty("cluster.id", clusterId);
          if (p.containsKey("directory.id")) {
            p.setProperty("directory.id", Uuid.randomUuid().toString());
          }
          try (Writer w = Files.newBufferedWriter(target)) {
            p.store(w, null);
          }
        } else {
          Files.write(target, f.getValue());
        }
      }
      return true;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the remembered Kafka storage format into " + dataDir, e);
    }
  }

  /** Remembers what the format tool wrote into {@code dataDir}, for the next broker with the same {@code key}. */
  static void remember(Map<String, String> key, Path dataDir) {
    Map<Path, byte[]> files = new LinkedHashMap<>();
    try (Stream<Path> s = Files.walk(dataDir)) {
      for (Path p : s.filter(Files::isRegularFile).toList()) {
        files.put(dataDir.relativize(p), Files.readAllBytes(p));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the Kafka storage format in " + dataDir, e);
    }
    if (files.keySet().stream().anyMatch(p -> p.getFileName().toString().equals(META))) {
      TEMPLATES.putIfAbsent(key, Map.copyOf(files));
    }
  }
}
