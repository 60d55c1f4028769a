package io.kvpipe.node.raft;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads, once the node is up, the classes a replica first needs when it changes role: a follower that has never led
 * loads some hundreds of Ratis, gRPC and protobuf classes while it stands for election and takes over (votes, the
 * leader's state, log appenders, client request handling), measured here at ~0.3 ms each on a loaded 2-core box, in
 * the very window in which its group cannot take writes. Loaded here on one low-priority thread, they are parsed,
 * defined and linked beforehand. Nothing is initialised: no class's static code runs on this thread, so it cannot
 * deadlock with class initialisation elsewhere.
 *
 * <p>The list ({@value #RESOURCE}) is what kv-node processes loaded from jars and the JDK's modules over a leader
 * kill and a takeover; {@code RoleChangeClassesIT} checks a takeover loads nothing of Ratis or kvpipe it lacks, and
 * rewrites it with {@code -Dkvpipe.roleChangeClasses.write=true}. {@code KVPIPE_PRELOAD_CLASSES=off} turns the preload
 * off, to compare failovers with and without it.
 */
public final class RoleChangeClasses {
  private static final Logger LOG = LoggerFactory.getLogger(RoleChangeClasses.class);
  static final String RESOURCE = "role-change-classes.txt";

  private RoleChangeClasses() {}

  /** Starts the preload on a daemon thread, unless turned off; returns the thread (null when off). */
  public static Thread preloadInBackground() {
    if ("off".equalsIgnoreCase(System.getenv().getOrDefault("KVPIPE_PRELOAD_CLASSES", "on"))) {
      return null;
    }
    Thread t = Thread.ofPlatform().name("kvpipe-class-preload").daemon(true).priority(Thread.MIN_PRIORITY)
        .unstarted(() -> preload(RoleChangeClasses.class.getClassLoader()));
    t.start();
    return t;
  }

  /** Loads and links every listed class; returns those that could not be (absent here, or missing a dependency). */
  static List<String> preload(ClassLoader loader) {
    long start = System.nanoTime();
    List<String> names = names();
    List<String> failed = new ArrayList<>();
    for (String name : names) {
      try {
        // Reflection links the class (verification included) without initialising it.
        Class.forName(name, false, loader).getDeclaredFields();
      } catch (ClassNotFoundException | LinkageError | SecurityException e) {
        failed.add(name + ": " + e);
        LOG.debug("class {} not preloaded: {}", name, e.toString());
      }
    }
    LOG.info("preloaded {} of {} classes a role change needs in {} ms", names.size() - failed.size(), names.size(),
        (System.nanoTime() - start) / 1_000_000);
    return failed;
  }

  /** The listed class names, comments and blank lines left out. */
  static List<String> names() {
    try (InputStream in = RoleChangeClasses.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(RESOURCE + " is missing from the kv-node jar");
      }
      List<String> names = new ArrayList<>();
      BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        String name = line.strip();
        if (!name.isEmpty() && !name.startsWith("#")) {
          names.add(name);
        }
      }
      return names;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
