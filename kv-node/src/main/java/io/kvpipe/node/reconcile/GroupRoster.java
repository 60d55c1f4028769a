package io.kvpipe.node.reconcile;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The node's memory, in its data dir, of which shard groups follow the topology. Ratis names a group's directory by
 * its UUID only, so without this file a restarted node could not tell which name (and so which state machine) a
 * dynamically created group's directory belongs to.
 *
 * <ul>
 *   <li>{@code managed <name>}: the topology gave this node a replica of the group; the replica is created, recovered
 *       and removed as the topology says.</li>
 *   <li>{@code left <name>}: the topology took the replica away; a {@code --group} flag still naming it is ignored
 *       (recreating it would bring back a member the group no longer has).</li>
 * </ul>
 * One line per group; rewritten whole through a temporary file and an atomic move. Thread-safe.
 */
public final class GroupRoster {
  public static final String FILE_NAME = "kvpipe-groups.txt";

  private final Path file;
  private final Set<String> managed = new TreeSet<>();
  private final Set<String> left = new TreeSet<>();

  private GroupRoster(Path file) {
    this.file = file;
  }

  /** Reads the roster of the data dir (an empty one if the file does not exist yet). */
  public static GroupRoster load(Path dataDir) throws IOException {
    GroupRoster r = new GroupRoster(dataDir.resolve(FILE_NAME));
    if (!Files.exists(r.file)) {
      return r;
    }
    int n = 0;
    for (String line : Files.readAllLines(r.file, StandardCharsets.UTF_8)) {
      n++;
      String l = line.strip();
      if (l.isEmpty() || l.startsWith("#")) {
        continue;
      }
      String[] parts = l.split("\\s+");
      if (parts.length != 2 || !(parts[0].equals("managed") || parts[0].equals("left"))) {
        throw new IOException(r.file + " line " + n + " is not 'managed <group>' or 'left <group>': " + line);
      }
      (parts[0].equals("managed") ? r.managed : r.left).add(parts[1]);
    }
    return r;
  }

  public synchronized Set<String> managed() {
    return Set.copyOf(managed);
  }

  public synchronized Set<String> left() {
    return Set.copyOf(left);
  }

  public synchronized boolean hasLeft(String group) {
    return left.contains(group);
  }

  public synchronized void markManaged(String group) {
    if (managed.add(group) | left.remove(group)) {
      save();
    }
  }

  public synchronized void markLeft(String group) {
    if (managed.remove(group) | left.add(group)) {
      save();
    }
  }

  private void save() {
    List<String> lines = new ArrayList<>();
    lines.add("# shard groups of this node that follow the topology (written by kv-node; see GroupRoster)");
    managed.forEach(g -> lines.add("managed " + g));
    left.forEach(g -> lines.add("left " + g));
    try {
      Files.createDirectories(file.getParent());
      Path tmp = file.resolveSibling(FILE_NAME + ".tmp");
      Files.write(tmp, lines, StandardCharsets.UTF_8);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }
}
