package io.kvpipe.testsupport.mysql;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.stream.Stream;

/**
 * Freshly initialised data dirs ({@code mariadb-install-db}, {@code mysqld --initialize-insecure}), kept once per
 * machine, server binary and version under the temp dir, so a server started later copies one (under a second)
 * instead of initialising its own (4-10 s: it writes and syncs ~110 MB; every test JVM with MySQL, the dev stack and
 * the robustness run each start one). A template appears whole or not at all: it is written beside its place and
 * renamed into it, so JVMs initialising at once never see a half-written one (the loser of the race keeps its own).
 */
final class InitializedDataDirs {
  private InitializedDataDirs() {}

  /** Where the template for this {@code key} (binary, version, user) lives; it may not exist. */
  static Path template(String key) {
    try {
      byte[] h = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
      return Path.of(System.getProperty("java.io.tmpdir"), "kvpipe-mysql-initialized-"
          + HexFormat.of().formatHex(h, 0, 8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Copies the template into {@code dataDir} (which must not exist); false if there is no template. */
  static boolean copyTemplate(Path template, Path dataDir) {
    if (!Files.isDirectory(template)) {
      return false;
    }
    copyTree(template, dataDir);
    return true;
  }

  /** Offers the just-initialised {@code dataDir} (before any server ran on it) as the template. */
  static void offer(Path dataDir, Path template) {
    if (Files.isDirectory(template)) {
      return;
    }
    Path staging = template.resolveSibling(template.getFileName() + ".staging-" + ProcessHandle.current().pid()
        + "-" + System.nanoTime());
    copyTree(dataDir, staging);
    try {
      Files.move(staging, template, StandardCopyOption.ATOMIC_MOVE);
    } catch (FileAlreadyExistsException | DirectoryNotEmptyException another) {
      deleteTree(staging); // another JVM was first: its template is as good
    } catch (AtomicMoveNotSupportedException e) {
      deleteTree(staging); // no atomic rename here: never offer a template that could be seen half-written
    } catch (IOException e) {
      deleteTree(staging);
      throw new UncheckedIOException("cannot keep the initialised data dir as " + template, e);
    }
  }

  private static void copyTree(Path from, Path to) {
    try (Stream<Path> s = Files.walk(from)) {
      for (Path p : s.toList()) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target, StandardCopyOption.COPY_ATTRIBUTES);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot copy " + from + " to " + to, e);
    }
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + dir, e);
    }
  }
}
