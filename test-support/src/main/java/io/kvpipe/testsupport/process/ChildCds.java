package io.kvpipe.testsupport.process;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

/**
 * Class-data sharing for child JVMs: a dynamic CDS archive per (JDK, main class, JVM options, class path), so that the
 * ~300 kv-node, proxy, consumer and broker JVMs a test run starts map their classes instead of loading, parsing and
 * verifying them again (a kv-node on 2 busy cores: ~8-12 s to "ready" without, ~3-4 s with).
 *
 * <p>On when {@code kvpipe.child.cds.dir} names a directory (the build sets it to the reactor's
 * {@code target/child-cds}); off with {@code -Dkvpipe.child.cds=false}, or when the caller's JVM options already
 * choose a CDS or AOT mode. How it stays out of the way:
 * <ul>
 *   <li>The archive's name hashes the JDK, the main class, the JVM options and every class-path entry with its size and
 *       modification time: a rebuilt jar or another JDK gets a new archive, never a stale one.</li>
 *   <li>CDS cannot archive classes from directories and refuses a class path with a non-empty one, so each directory
 *       entry (a module's {@code target/classes}, {@code target/test-classes}) goes to the child as a jar of its
 *       contents, named by a hash of them and made once per run.</li>
 *   <li>One child per archive writes it, at its exit ({@code -XX:ArchiveClassesAtExit}, into a file of its own that
 *       is renamed into place only once that child has exited with a complete archive); the others started meanwhile
 *       run without CDS. A child killed before or while writing leaves no archive: the next start tries again.
 *       {@link JavaProcess#stop} gives a writing child {@link #DUMP_ALLOWANCE} more before SIGKILL.</li>
 *   <li>CDS's own log lines ({@code -Xlog:cds}, {@code aot}) are off: children's output stays what tests parse. A
 *       child that cannot map the archive runs without it ({@code -Xshare:auto}).</li>
 * </ul>
 */
final class ChildCds {
  /** Extra grace {@link JavaProcess#stop} gives a child that writes an archive at exit (measured ~1-10 s on 2 cores). */
  static final java.time.Duration DUMP_ALLOWANCE = java.time.Duration.ofSeconds(30);
  /** A dynamic archive's first four bytes, little-endian 0xf00baba8; the JVM writes its header last. */
  private static final int DYNAMIC_MAGIC = 0xf00baba8;
  private static final Set<String> WRITING = ConcurrentHashMap.newKeySet();
  private static final Map<String, String> JARRED = new ConcurrentHashMap<>();

  private ChildCds() {}

  /** What a child's command line gets: the JVM options to add, its class path, and the archive it writes, if any. */
  record Plan(List<String> jvmArgs, String classPath, Path writes, Path archive) {
    static Plan none(String classPath) {
      return new Plan(List.of(), classPath, null, null);
    }
  }

  static Plan plan(String mainClass, List<String> jvmArgs, String classPath) {
    String dir = System.getProperty("kvpipe.child.cds.dir", "");
    if (dir.isBlank() || !Boolean.parseBoolean(System.getProperty("kvpipe.child.cds", "true"))
        || jvmArgs.stream().anyMatch(ChildCds::choosesSharing)) {
      return Plan.none(classPath);
    }
    try {
      Path root = Files.createDirectories(Path.of(dir).toAbsolutePath());
      String cp = jarDirectories(root, classPath);
      Path archive = root.resolve(key(mainClass, jvmArgs, cp) + ".jsa");
      List<String> args = new ArrayList<>(List.of("-Xshare:auto", "-Xlog:cds*=off"));
      if (Runtime.version().feature() >= 25) {
        args.add("-Xlog:aot*=off");
      }
      if (Files.isRegularFile(archive) || adoptOrphan(root, archive)) {
        args.add("-XX:SharedArchiveFile=" + archive);
        return new Plan(args, cp, null, archive);
      }
      if (!WRITING.add(archive.toString())) {
        return Plan.none(cp); // another child writes this archive now: this one runs as it would without
      }
      Path tmp = root.resolve(archive.getFileName() + "." + ProcessHandle.current().pid() + "."
          + System.nanoTime() + ".tmp");
      args.add("-XX:ArchiveClassesAtExit=" + tmp);
      return new Plan(args, cp, tmp, archive);
    } catch (IOException | UncheckedIOException e) {
      return Plan.none(classPath); // no cache directory, an unreadable entry: run without
    }
  }

  /** After the writing child exited: keeps its archive if complete; lets the next start write one otherwise. */
  static void written(Plan plan) {
    try {
      if (Files.isRegularFile(plan.writes()) && complete(plan.writes())) {
        Files.move(plan.writes(), plan.archive(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      // Left for the next start to write again.
    } finally {
      try {
        Files.deleteIfExists(plan.writes());
      } catch (IOException ignored) {
        // A stray temporary file in target/.
      }
      WRITING.remove(plan.archive().toString());
    }
  }

  /**
   * A complete archive that a child wrote for a test JVM that then died (killed, or timed out by Failsafe) before it
   * could rename it: its name holds that JVM's pid ({@code <key>.jsa.<pid>.<nanos>.tmp}). Moved into place; true if
   * the archive is there now.
   */
  private static boolean adoptOrphan(Path root, Path archive) throws IOException {
    String prefix = archive.getFileName() + ".";
    List<Path> tmps;
    try (Stream<Path> s = Files.list(root)) {
      tmps = s.filter(p -> p.getFileName().toString().startsWith(prefix) && p.getFileName().toString().endsWith(".tmp"))
          .toList();
    }
    for (Path tmp : tmps) {
      String[] parts = tmp.getFileName().toString().substring(prefix.length()).split("\\.");
      long pid;
      try {
        pid = Long.parseLong(parts[0]);
      } catch (NumberFormatException e) {
        continue;
      }
      if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
        continue; // its test JVM may still rename it
      }
      try {
        if (complete(tmp)) {
          Files.move(tmp, archive, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
          return true;
        }
        Files.deleteIfExists(tmp);
      } catch (IOException e) {
        // Another JVM took it first, or it is unreadable: leave it.
      }
    }
    return Files.isRegularFile(archive);
  }

  private static boolean complete(Path file) throws IOException {
    try (var in = Files.newInputStream(file)) {
      byte[] b = in.readNBytes(4);
      return b.length == 4
          && ((b[0] & 0xff) | (b[1] & 0xff) << 8 | (b[2] & 0xff) << 16 | (b[3] & 0xff) << 24) == DYNAMIC_MAGIC;
    }
  }

  /**
   * Whether the caller's JVM options choose a CDS or AOT mode themselves, or log class loading (RoleChangeClassesIT
   * reads where each class came from: a child then runs as it would without this).
   */
  private static boolean choosesSharing(String arg) {
    return arg.startsWith("-Xshare") || (arg.startsWith("-Xlog") && arg.contains("class+load"))
        || arg.contains("SharedArchiveFile") || arg.contains("ArchiveClassesAtExit")
        || arg.contains("AOTCache") || arg.contains("AOTMode") || arg.contains("SharedClassListFile")
        || arg.contains("DumpLoadedClassList") || arg.contains("AOTConfiguration");
  }

  /**
   * Whether a JVM option belongs in the archive's key. System properties and logging do not decide whether an archive
   * can be mapped (bar the module ones), yet carry per-test paths (the broker's {@code -Dlog4j2.configurationFile} in
   * its work directory, a {@code -Xlog:...:file=} in a temporary one): keyed on them, every broker of a test class
   * would write an archive no later start reads.
   */
  static boolean shapesTheArchive(String arg) {
    if (arg.startsWith("-D")) {
      return arg.startsWith("-Djdk.module.") || arg.startsWith("-Djava.system.class.loader");
    }
    return !arg.startsWith("-Xlog");
  }

  private static String key(String mainClass, List<String> jvmArgs, String classPath) throws IOException {
    StringBuilder s = new StringBuilder()
        .append(System.getProperty("java.home")).append('\n')
        .append(System.getProperty("java.vm.version")).append('\n')
        .append(mainClass).append('\n')
        .append(String.join(" ", jvmArgs.stream().filter(ChildCds::shapesTheArchive).toList())).append('\n');
    for (String entry : classPath.split(File.pathSeparator)) {
      s.append(entry);
      Path p = Path.of(entry);
      if (Files.isRegularFile(p)) {
        s.append(' ').append(Files.size(p)).append(' ').append(Files.getLastModifiedTime(p).toMillis());
      }
      s.append('\n');
    }
    return sha256(s.toString()).substring(0, 24);
  }

  /** The class path with each non-empty directory replaced by a jar of its contents (made once per contents). */
  private static String jarDirectories(Path root, String classPath) throws IOException {
    List<String> out = new ArrayList<>();
    for (String entry : classPath.split(File.pathSeparator)) {
      Path p = Path.of(entry);
      if (!entry.isEmpty() && Files.isDirectory(p) && !isEmpty(p)) {
        out.add(jarOf(root, p.toAbsolutePath().normalize()));
      } else {
        out.add(entry);
      }
    }
    return String.join(File.pathSeparator, out);
  }

  private static boolean isEmpty(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.findAny().isEmpty();
    }
  }

  private static String jarOf(Path root, Path dir) throws IOException {
    List<Path> files;
    try (Stream<Path> s = Files.walk(dir)) {
      files = s.filter(f -> !f.equals(dir)).sorted().toList();
    }
    StringBuilder listing = new StringBuilder(dir.toString()).append('\n');
    for (Path f : files) {
      BasicFileAttributes a = Files.readAttributes(f, BasicFileAttributes.class);
      listing.append(dir.relativize(f)).append(' ').append(a.size()).append(' ')
          .append(a.lastModifiedTime().toMillis()).append('\n');
    }
    String hash = sha256(listing.toString()).substring(0, 24);
    String known = JARRED.get(hash);
    if (known != null) {
      return known;
    }
    Path jars = Files.createDirectories(root.resolve("jars"));
    Path jar = jars.resolve(dir.getParent().getParent().getFileName() + "-" + dir.getFileName() + "-" + hash + ".jar");
    if (!Files.isRegularFile(jar)) {
      Path tmp = Files.createTempFile(jars, "jar", ".tmp");
      try (OutputStream os = Files.newOutputStream(tmp); JarOutputStream jos = new JarOutputStream(os)) {
        for (Path f : files) {
          // Directory entries too: getResources("db/migration") (Flyway's scan) finds a package only through them.
          boolean isDir = Files.isDirectory(f);
          JarEntry e = new JarEntry(dir.relativize(f).toString().replace(File.separatorChar, '/') + (isDir ? "/" : ""));
          e.setTime(Files.getLastModifiedTime(f).toMillis());
          jos.putNextEntry(e);
          if (!isDir) {
            Files.copy(f, jos);
          }
          jos.closeEntry();
        }
      } catch (IOException e) {
        Files.deleteIfExists(tmp);
        throw e;
      }
      Files.move(tmp, jar, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
    JARRED.put(hash, jar.toString());
    return jar.toString();
  }

  private static String sha256(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
