package io.kvpipe.testsupport.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChildLogsOnFailureTest {
  @TempDir
  Path dir;

  @Test
  void showsEveryWarningAndTheTail() throws IOException {
    List<String> lines = new ArrayList<>();
    lines.add("2026-12-05T10:00:00.000Z WARN  [main] a.B - early warning");
    for (int i = 0; i < 100; i++) {
      lines.add("2026-12-05T10:00:01.000Z INFO  [main] a.B - line " + i);
    }
    Path log = dir.resolve("n1.log");
    Files.write(log, lines);

    String shown = ChildLogsOnFailure.render("test()", log);

    assertThat(shown).contains("early warning").contains("line 99").contains("line 75").doesNotContain("line 74");
  }

  @Test
  void whatTheJvmWritesWhenAThreadOrTheProcessDiesCountsAsAProblem() throws IOException {
    List<String> lines = new ArrayList<>();
    lines.add("Exception in thread \"group-reconciler-n3\" java.lang.OutOfMemoryError: Java heap space");
    lines.add("# A fatal error has been detected by the Java Runtime Environment:");
    lines.add("orphan-guard: the parent process is gone; exiting");
    for (int i = 0; i < 100; i++) {
      lines.add("2026-12-05T10:00:01.000Z INFO  [main] a.B - line " + i);
    }
    Path log = dir.resolve("n3.log");
    Files.write(log, lines);

    assertThat(ChildLogsOnFailure.render("test()", log)).contains("-- WARN/ERROR (3,")
        .contains("Java heap space").contains("fatal error").contains("orphan-guard");
  }

  @Test
  void aMissingLogIsSaidNotThrown() {
    assertThat(ChildLogsOnFailure.render("test()", dir.resolve("absent.log"))).contains("unreadable");
  }
}
