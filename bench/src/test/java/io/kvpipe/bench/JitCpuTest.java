package io.kvpipe.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The JIT's CPU is the compiler threads' ticks, read per thread, so a thread that ends cannot make a window negative. */
class JitCpuTest {
  @TempDir
  Path proc;

  @Test
  void countsOnlyTheCompilerThreads() throws IOException {
    thread(7, 101, "C2 CompilerThre", 300, 20);
    thread(7, 102, "C1 CompilerThre", 40, 10);
    thread(7, 103, "main", 5000, 900);
    thread(7, 104, "Ratis (C2) x)", 700, 0); // a name with a space, a ')' and the prefix inside it
    JitCpu.Reading before = JitCpu.read(proc, 7);
    thread(7, 101, "C2 CompilerThre", 450, 25);
    thread(7, 102, "C1 CompilerThre", 40, 10);
    thread(7, 103, "main", 9000, 1900);
    thread(7, 104, "Ratis (C2) x)", 7000, 0);

    assertThat(JitCpu.read(proc, 7).secondsSince(before)).isEqualTo(1.55);
  }

  @Test
  void aCompilerThreadThatEndedOrStartedDoesNotMakeTheWindowNegative() throws IOException {
    thread(7, 101, "C2 CompilerThre", 300, 20);
    thread(7, 105, "C2 CompilerThre", 900, 0);
    JitCpu.Reading before = JitCpu.read(proc, 7);
    delete(proc.resolve("7/task/105"));
    thread(7, 101, "C2 CompilerThre", 310, 20);
    thread(7, 106, "C1 CompilerThre", 30, 0);

    assertThat(JitCpu.read(proc, 7).secondsSince(before)).isEqualTo(0.4);
  }

  @Test
  void aProcessThatIsGoneReadsAsNaN() throws IOException {
    thread(7, 101, "C2 CompilerThre", 300, 20);
    JitCpu.Reading before = JitCpu.read(proc, 7);

    JitCpu.Reading gone = JitCpu.read(proc, 8);

    assertThat(gone.gone()).isTrue();
    assertThat(gone.secondsSince(before)).isNaN();
  }

  @Test
  void readsThisJvmsOwnCompilerThreads() {
    JitCpu.Reading now = JitCpu.read(ProcessHandle.current().pid());

    assertThat(now.gone()).isFalse();
    assertThat(now.ticksByThread()).isNotEmpty(); // tiered HotSpot runs a C1 and a C2 thread at least
  }

  /** A /proc/<pid>/task/<tid>/stat line as Linux writes it, with the given name, utime and stime (ticks). */
  private void thread(long pid, long tid, String name, long utime, long stime) throws IOException {
    Path dir = Files.createDirectories(proc.resolve(pid + "/task/" + tid));
    String stat = tid + " (" + name + ") S 1 1 1 0 -1 4194368 100 0 0 0 " + utime + " " + stime
        + " 0 0 20 0 40 0 12345 0 0 0\n";
    Files.writeString(dir.resolve("stat"), stat);
  }

  private static void delete(Path dir) throws IOException {
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
