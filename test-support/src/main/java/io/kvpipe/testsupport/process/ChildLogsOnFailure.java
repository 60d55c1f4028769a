package io.kvpipe.testsupport.process;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * Prints what the child processes logged when a test fails: their logs live in a temporary directory that is gone
 * by the time anyone reads the CI output, so a failure on a machine nobody can log into would otherwise say nothing
 * about why a node did not converge. Per log: every WARN/ERROR line (the last {@value #PROBLEMS}), then the last
 * {@value #TAIL} lines.
 *
 * <pre>{@code @RegisterExtension static final ChildLogsOnFailure LOGS = new ChildLogsOnFailure(() -> cluster.logFiles());}</pre>
 */
public final class ChildLogsOnFailure implements TestWatcher {
  static final int PROBLEMS = 60;
  static final int TAIL = 25;

  private final Supplier<List<Path>> logs;
  private final PrintStream out;

  public ChildLogsOnFailure(Supplier<List<Path>> logs) {
    this(logs, System.out);
  }

  ChildLogsOnFailure(Supplier<List<Path>> logs, PrintStream out) {
    this.logs = logs;
    this.out = out;
  }

  @Override
  public void testFailed(ExtensionContext context, Throwable cause) {
    List<Path> files;
    try {
      files = logs.get();
    } catch (RuntimeException e) {
      out.println("[child logs] none to show (" + e + ")");
      return;
    }
    for (Path f : files == null ? List.<Path>of() : files) {
      out.println(render(context.getDisplayName(), f));
    }
  }

  static String render(String test, Path log) {
    StringBuilder b = new StringBuilder("[child logs] ").append(test).append(": ").append(log).append('\n');
    List<String> lines;
    try {
      lines = Files.readAllLines(log);
    } catch (IOException e) {
      return b.append("  (unreadable: ").append(e).append(")").toString();
    }
    List<String> problems = lines.stream().filter(l -> l.contains(" WARN ") || l.contains(" ERROR ")).toList();
    b.append("  -- WARN/ERROR (").append(problems.size()).append(", last ").append(PROBLEMS).append(")\n");
    problems.subList(Math.max(0, problems.size() - PROBLEMS), problems.size())
        .forEach(l -> b.append("  ").append(l).append('\n'));
    b.append("  -- last ").append(TAIL).append(" lines\n");
    lines.subList(Math.max(0, lines.size() - TAIL), lines.size()).forEach(l -> b.append("  ").append(l).append('\n'));
    return b.toString();
  }
}
