package io.kvpipe.testsupport.process;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.testsupport.Poll;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A child's state in words: what a failing test prints for a node that died without the test asking. */
class JavaProcessStateTest {
  @TempDir
  Path dir;

  /** A child that exits by itself with code 3. */
  public static final class ExitsWithThree {
    public static void main(String[] args) {
      System.out.println("about to exit");
      System.exit(3);
    }
  }

  /** A child that says it runs, then waits to be stopped. */
  public static final class Waits {
    static final String RUNNING = "waiting to be stopped";

    public static void main(String[] args) throws InterruptedException {
      System.out.println(RUNNING);
      Thread.currentThread().join(); // until the test stops it
    }
  }

  /**
   * Waits until {@code p}'s main runs. A SIGTERM that reaches a JVM still initialising fails its start with "Error
   * occurred during initialization of VM" and exit code 1, not 143 (seen here: 1 in 40 java processes sent SIGTERM
   * 0-80 ms after their start), so a test asking a child to stop must ask a running one.
   */
  private static JavaProcess running(JavaProcess p) {
    Poll.until("the child's main running", Duration.ofSeconds(30), () -> p.logSinceStart().contains(Waits.RUNNING));
    return p;
  }

  @Test
  void aChildThatExitsByItselfIsSaidToHaveExitedUnaskedWithItsCode() {
    JavaProcess p = JavaProcess.builder(ExitsWithThree.class.getName()).logFile(dir.resolve("c.log")).build();
    assertThat(p.describe()).isEqualTo("not started");
    p.start();
    assertThat(p.awaitExit(Duration.ofSeconds(30))).isTrue();

    assertThat(p.exitedUnasked()).isTrue();
    assertThat(p.describe()).startsWith("EXITED UNASKED").contains("with code 3");
    assertThat(ChildLogsOnFailure.render("t()", new ChildLogsOnFailure.Child(p.logFile(), p::describe)))
        .contains("-- process: EXITED UNASKED").contains("about to exit");
  }

  @Test
  void aChildTheTestKilledIsNotUnaskedAndItsSignalIsNamed() {
    JavaProcess p = JavaProcess.builder(Waits.class.getName()).logFile(dir.resolve("w.log")).build();
    p.start();
    assertThat(p.describe()).startsWith("alive (pid ");
    p.kill9();

    assertThat(p.exitedUnasked()).isFalse();
    assertThat(p.describe()).startsWith("stopped by the test").contains("code 137").contains("SIGKILL");
  }

  @Test
  void childrenAskedToStopTogetherStopCleanlyAndTheirStopThenOnlyWaits() {
    JavaProcess a = running(JavaProcess.builder(Waits.class.getName()).logFile(dir.resolve("a.log")).build().start());
    JavaProcess b = running(JavaProcess.builder(Waits.class.getName()).logFile(dir.resolve("b.log")).build().start());
    a.askStop();
    b.askStop();
    assertThat(a.awaitExit(Duration.ofSeconds(30))).as("a exits on the SIGTERM askStop sent").isTrue();
    assertThat(b.awaitExit(Duration.ofSeconds(30))).as("b exits without a stop of its own").isTrue();
    a.stop(Duration.ofSeconds(5));
    b.stop(Duration.ofSeconds(5));
    for (JavaProcess p : new JavaProcess[] {a, b}) {
      assertThat(p.exitedUnasked()).isFalse();
      assertThat(p.describe()).as(p.logSinceStart()).startsWith("stopped by the test").contains("code 143"); // SIGTERM
    }
  }

  @Test
  void exitCodesAboveOneHundredTwentyEightNameTheSignal() {
    assertThat(JavaProcess.exitMeaning(137)).contains("OOM killer");
    assertThat(JavaProcess.exitMeaning(134)).contains("hs_err");
    assertThat(JavaProcess.exitMeaning(130)).isEqualTo(" (killed by signal 2)");
    assertThat(JavaProcess.exitMeaning(0)).isEmpty();
  }
}
