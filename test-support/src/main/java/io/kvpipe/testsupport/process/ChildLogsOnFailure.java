package io.kvpipe.testsupport.process;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
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
 *
 * <p>Given the processes themselves ({@link #ofProcesses}), each log is headed by its process's state: alive, or how
 * it exited and whether the test asked it to ({@link JavaProcess#describe()}). A child killed by the kernel's OOM
 * killer writes nothing at all, and its log alone reads like a node that merely went quiet.
 */
public final class ChildLogsOnFailure implements TestWatcher {
  static final int PROBLEMS = 60;
  static final int TAIL = 25;

  /** One child's log and (if known) its process state. */
  record Child(Path log, Supplier<String> state) {}

  private final Supplier<List<Child>> children;
  private final PrintStream out;

  public ChildLogsOnFailure(Supplier<List<Path>> logs) {
    this(() -> logs.get() == null ? List.of() : logs.get().stream().map(l -> new Child(l, null)).toList(),
        System.out);
  }

  /** The processes' logs, each headed by the process's state (see the class comment). */
  public static ChildLogsOnFailure ofProcesses(Supplier<? extends Collection<JavaProcess>> processes) {
    return new ChildLogsOnFailure(() -> processes.get() == null ? List.of() : processes.get().stream()
        .map(p -> new Child(p.logFile(), p::describe)).toList(), System.out);
  }

  ChildLogsOnFailure(Supplier<List<Child>> children, PrintStream out) {
    this.children = children;
    this.out = out;
  }

  @Override
  public void testFailed(ExtensionContext context, Throwable cause) {
    List<Child> all;
    try {
      all = children.get();
    } catch (RuntimeException e) {
      out.println("[child logs] none to show (" + e + ")");
      return;
    }
    for (Child c : all) {
      out.println(render(context.getDisplayName(), c));
    }
  }

  /**
   * A logged WARN or ERROR, or what the JVM itself writes to stderr when a thread or the whole process dies (no log
   * level there: an uncaught exception, an OutOfMemoryError, a crash, OrphanGuard's exit).
   */
  static boolean isProblem(String line) {
    return line.contains(" WARN ") || line.contains(" ERROR ") || line.startsWith("Exception in thread ")
        || line.contains("OutOfMemoryError") || line.contains("A fatal error has been detected")
        || line.startsWith("orphan-guard:");
  }

  static String render(String test, Path log) {
    return render(test, new Child(log, null));
  }

  static String render(String test, Child child) {
    Path log = child.log();
    StringBuilder b = new StringBuilder("[child logs] ").append(test).append(": ").append(log).append('\n');
    if (child.state() != null) {
      String state;
      try {
        state = child.state().get();
      } catch (RuntimeException e) {
        state = "unknown (" + e + ")";
      }
      b.append("  -- process: ").append(state).append('\n');
    }
    List<String> lines;
    try {
      lines = Files.readAllLines(log);
    } catch (IOException e) {
      return b.append("  (unreadable: ").append(e).append(")").toString();
    }
    List<String> problems = lines.stream().filter(ChildLogsOnFailure::isProblem).toList();
    b.append("  -- WARN/ERROR (").append(problems.size()).append(", last ").append(PROBLEMS).append(")\n");
    problems.subList(Math.max(0, problems.size() - PROBLEMS), problems.size())
        .forEach(l -> b.append("  ").append(l).append('\n'));
    b.append("  -- last ").append(TAIL).append(" lines\n");
    lines.subList(Math.max(0, lines.size() - TAIL), lines.size()).forEach(l -> b.append("  ").append(l).append('\n'));
    return b.toString();
  }
}
