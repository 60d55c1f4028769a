package io.kvpipe.kvctl;

import java.nio.file.Files;
import java.nio.file.Path;

/** The repository root, for tests that check files beside the code (compose file, docs, scripts). */
final class RepoFiles {
  private RepoFiles() {}

  static Path root() {
    String env = System.getenv("KVPIPE_REPO_ROOT");
    Path p = env != null ? Path.of(env) : Path.of("").toAbsolutePath().getParent();
    p = p.toAbsolutePath().normalize();
    if (!Files.isRegularFile(p.resolve("docker-compose.yml")) || !Files.isDirectory(p.resolve("kvctl"))) {
      throw new IllegalStateException("cannot find the repository root (tried " + p + ")");
    }
    return p;
  }
}
