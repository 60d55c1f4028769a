package io.kvpipe.testsupport.process;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.testsupport.Poll;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A child started through JavaProcess does not outlive its parent, even when the parent is killed with kill -9. */
class OrphanGuardIT {
  @TempDir Path dir;

  /** Runs until killed. */
  public static final class Sleeper {
    public static void main(String[] args) {
      while (true) {
        LockSupport.parkNanos(Duration.ofSeconds(1).toNanos());
      }
    }
  }

  /** Starts a Sleeper through JavaProcess, writes its pid to args[0], then runs until killed. */
  public static final class Parent {
    public static void main(String[] args) throws Exception {
      JavaProcess child = JavaProcess.builder(Sleeper.class.getName())
          .logFile(Path.of(args[0] + ".log")).build().start();
      Files.writeString(Path.of(args[0] + ".tmp"), Long.toString(child.pid()));
      Files.move(Path.of(args[0] + ".tmp"), Path.of(args[0]));
      Sleeper.main(args);
    }
  }

  @Test
  void aChildExitsWhenItsParentIsKilled() throws Exception {
    Path pidFile = dir.resolve("child.pid");
    try (JavaProcess parent = JavaProcess.builder(Parent.class.getName()).args(pidFile.toString())
        .logFile(dir.resolve("parent.log")).build().start()) {
      Poll.until("the child's pid", Duration.ofSeconds(60), Duration.ofMillis(100), () -> Files.exists(pidFile));
      long childPid = Long.parseLong(Files.readString(pidFile).trim());
      Optional<ProcessHandle> child = ProcessHandle.of(childPid);
      assertThat(child).as("child %d is running", childPid).isPresent();
      assertThat(child.get().isAlive()).isTrue();

      parent.kill9();

      Poll.until("the orphaned child " + childPid + " exits", Duration.ofSeconds(30), Duration.ofMillis(100),
          () -> !child.get().isAlive());
      assertThat(Files.readString(Path.of(pidFile + ".log"))).contains("the parent process is gone");
    }
  }
}
