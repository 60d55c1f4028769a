package io.kvpipe.kvctl;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every shell block of README.md and docs/*.md runs as written against one dev stack (issue 16), so a doc cannot
 * drift from the code: in document order, each with bash {@code -euo pipefail} from the repository root, the stack's
 * env file sourced, and the variables, functions and directory the doc's earlier blocks left (a doc's blocks are one
 * session). {@code . .devstack/env} in a doc reads this stack's env file. Which blocks run and how is
 * {@link DocBlocks}'s; skipped blocks are printed with their reasons. A block may stop or restart the stack (README's
 * {@code down}, a restart with other log settings, a fresh cluster for a restore): after a block that left it not
 * running, the test starts it again ({@code dev-stack.sh up}, same settings) before the next block. A block marked
 * {@code interrupt-after: N s} is stopped after N seconds, its commands sent SIGTERM (not Ctrl-C's SIGINT: a process
 * started from a background job ignores SIGINT, as this test's JVM may), and passes if it ran until then and ended on
 * that signal.
 */
class DocCommandsIT {
  /** Per block: long enough for a migration on a loaded machine, short enough to name a hung block. */
  private static final Duration BLOCK_TIMEOUT = Duration.ofSeconds(
      Long.getLong("kvpipe.doctest.block-timeout-s", 120));

  @TempDir
  static Path dir;

  private static DevStack stack;

  @BeforeAll
  static void up() throws Exception {
    stack = DevStack.upWithNodePorts(dir, DevStack.DOCUMENTED_NODE_PORT_BASE);
  }

  @AfterAll
  static void down() throws Exception {
    if (stack != null) {
      assertThat(stack.down()).as("processes still running after down").isEmpty();
      assertThat(stack.processesNamingTheStackDir()).as("processes of the stack after down").isEmpty();
    }
  }

  /** README.md first (a new user's first page), then docs/*.md by name. */
  static List<Path> docs(Path root) throws IOException {
    List<Path> docs = new ArrayList<>(List.of(root.resolve("README.md")));
    try (Stream<Path> s = Files.list(root.resolve("docs"))) {
      s.filter(p -> p.getFileName().toString().endsWith(".md")).sorted().forEach(docs::add);
    }
    return docs;
  }

  @TestFactory
  Stream<DynamicTest> everyShellBlockOfEveryDocRuns() throws IOException {
    Path root = RepoFiles.root();
    List<DynamicTest> tests = new ArrayList<>();
    for (Path doc : docs(root)) {
      List<DocBlocks.Block> blocks = DocBlocks.read(root, doc); // a malformed marker fails here, naming its line
      tests.add(DynamicTest.dynamicTest(root.relativize(doc).toString(), () -> runDoc(doc, blocks)));
    }
    return tests.stream();
  }

  private void runDoc(Path doc, List<DocBlocks.Block> blocks) throws Exception {
    Path session = Files.createTempDirectory(dir, doc.getFileName().toString() + "-");
    Files.writeString(session.resolve("cwd"), stack.root().toString());
    Files.writeString(session.resolve("state"), "");
    int ran = 0;
    for (DocBlocks.Block b : blocks) {
      if (b.skipped()) {
        System.out.println("doc-test: skipped " + b.where() + " (" + b.lang() + "): " + b.skipReason());
        continue;
      }
      long t0 = System.nanoTime();
      Run r = runBlock(session, b);
      long ms = (System.nanoTime() - t0) / 1_000_000;
      System.out.println("doc-test: ran " + b.where() + " (" + b.lang() + ") in " + ms + " ms, exit " + r.code
          + (r.interrupted ? " (interrupted after " + b.interruptAfterS() + " s, as its marker says)" : ""));
      r.output.lines().forEach(l -> System.out.println("  | " + l));
      assertThat(r.code).as("%s (%s block) exited %d%s; its output:%n%s", b.where(), b.lang(), r.code,
          r.timedOut ? " (timed out after " + BLOCK_TIMEOUT.toSeconds() + " s)" : "", r.output).isZero();
      assertThat(unannouncedHttpErrors(b, r.output)).as("%s: its output:%n%s", b.where(), r.output).isEmpty();
      ran++;
      if (!stack.running()) {
        long u0 = System.nanoTime();
        DevStack.Result up = stack.run(600, "scripts/dev-stack.sh", "up");
        assertThat(up.code()).as("dev-stack.sh up after %s stopped the stack:%n%s", b.where(), up.output()).isZero();
        System.out.println("doc-test: " + b.where() + " left the stack stopped: up again in "
            + (System.nanoTime() - u0) / 1_000_000 + " ms");
      }
    }
    System.out.println("doc-test: " + doc.getFileName() + ": " + ran + " run, "
        + blocks.stream().filter(DocBlocks.Block::skipped).count() + " skipped");
  }

  private record Run(int code, boolean timedOut, boolean interrupted, String output) {}

  private Run runBlock(Path session, DocBlocks.Block b) throws Exception {
    Path script = session.resolve("block-" + b.line() + ".sh");
    Files.writeString(script, wrap(session, b), StandardCharsets.UTF_8);
    Path log = session.resolve("block-" + b.line() + ".log");
    // Its own process group (setsid), so that what it left in the background is found even after bash has exited.
    ProcessBuilder pb = new ProcessBuilder("setsid", "-w", "bash", script.toString()).directory(stack.root().toFile())
        .redirectErrorStream(true).redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(
            Path.of("/dev/null").toFile()));
    stack.environment(pb.environment());
    Process p = pb.start();
    if (b.interruptAfterS() > 0 && !p.waitFor(b.interruptAfterS(), TimeUnit.SECONDS)) {
      // SIGTERM to the block's commands (bash itself goes on to its exit trap, which saves the session).
      List<String> kill = new ArrayList<>(List.of("kill", "-TERM"));
      p.descendants().forEach(d -> kill.add(String.valueOf(d.pid())));
      if (kill.size() > 2) {
        new ProcessBuilder(kill).inheritIO().start().waitFor();
      }
      boolean ended = p.waitFor(30, TimeUnit.SECONDS);
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      if (!ended) {
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
      }
      killGroup(p);
      String out = Files.readString(log, StandardCharsets.UTF_8);
      // 143: the command ended on SIGTERM (a JVM after its shutdown hooks), and bash (set -e) exited with its status.
      return ended && p.exitValue() == 143 ? new Run(0, false, true, out) : new Run(ended ? p.exitValue() : -1,
          !ended, false, out + "\n[doc-test: did not end on SIGTERM]");
    }
    boolean finished = p.waitFor(BLOCK_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    // Whatever the block left behind (a background job, a hung command) must not outlive it.
    p.descendants().forEach(ProcessHandle::destroyForcibly);
    if (!finished) {
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
    }
    killGroup(p);
    String out = Files.readString(log, StandardCharsets.UTF_8);
    return new Run(finished ? p.exitValue() : -1, !finished, false, out);
  }

  /**
   * SIGKILL to what is left of the block's process group: a background job of a block that failed before stopping
   * it (bash has exited, so it is no descendant any more). The stack's own processes run in sessions of their own.
   */
  private static void killGroup(Process p) throws IOException, InterruptedException {
    new ProcessBuilder("kill", "-KILL", "--", "-" + p.pid()).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
  }

  /**
   * The block between a prologue that restores the doc's session (variables and functions its earlier blocks
   * defined, their working directory) and an exit trap that saves it again. {@code .}/{@code source} of
   * {@code .devstack/env} read this stack's env file, wherever the stack's directory is.
   */
  private String wrap(Path session, DocBlocks.Block b) {
    String state = session.resolve("state").toString();
    String cwd = session.resolve("cwd").toString();
    String prologue = String.join("\n",
        "__doc_env=" + q(stack.envFile().toString()),
        "__doc_source() { if [ \"${1:-}\" = .devstack/env ] || [ \"${1:-}\" = ./.devstack/env ]; then "
            + "builtin source \"$__doc_env\"; else builtin source \"$@\"; fi; }",
        "source() { __doc_source \"$@\"; }",
        ".() { __doc_source \"$@\"; }",
        // curl exits 0 on an HTTP error: report each status so an error the doc does not announce fails the block.
        "curl() { case \" $* \" in *' -w '*|*' --write-out '*) command curl \"$@\";; *) command curl -w "
            + "\"%{stderr}\\n" + CURL_MARK + "${BASH_LINENO[0]} %{http_code}]\\n\" \"$@\";; esac; }",
        "builtin source \"$__doc_env\"",
        "__doc_base=$(compgen -v)",
        "builtin source " + q(state),
        "cd \"$(cat " + q(cwd) + ")\"",
        "__doc_save() { local v; pwd > " + q(cwd) + "; { for v in $(compgen -v); do case \"$v\" in __doc_*) continue;; esac;"
            + " grep -qxF -- \"$v\" <<<\"$__doc_base\" || declare -p \"$v\" 2>/dev/null; done;"
            + " declare -f; } > " + q(state) + ".new 2>/dev/null || true;"
            + " mv " + q(state) + ".new " + q(state) + "; }",
        "trap __doc_save EXIT",
        "set -euo pipefail",
        "# " + b.where());
    if (prologue.lines().count() != PROLOGUE_LINES) {
      throw new IllegalStateException("PROLOGUE_LINES is " + PROLOGUE_LINES + ", the prologue has "
          + prologue.lines().count() + " lines: curl's line numbers would point at the wrong doc line");
    }
    return prologue + "\n" + b.script();
  }

  private static final String CURL_MARK = "[doc-test: curl at line ";
  /** Lines {@link #wrap} puts before the block's first line. */
  private static final int PROLOGUE_LINES = 13;
  private static final Pattern CURL_STATUS = Pattern.compile(Pattern.quote(CURL_MARK) + "(\\d+) (\\d{3})\\]");

  /**
   * The HTTP errors of the block's curl commands that the doc does not announce: an error status is expected only
   * where the doc names it (e.g. {@code # 412: version mismatch}) on the command's line or the three around it.
   */
  static List<String> unannouncedHttpErrors(DocBlocks.Block b, String output) {
    List<String> docLines = b.script().lines().toList();
    List<String> out = new ArrayList<>();
    Matcher m = CURL_STATUS.matcher(output);
    while (m.find()) {
      int status = Integer.parseInt(m.group(2));
      if (status < 400) {
        continue;
      }
      int at = Integer.parseInt(m.group(1)) - PROLOGUE_LINES; // 1-based line within the block
      boolean announced = false;
      for (int i = Math.max(1, at - 3); i <= Math.min(docLines.size(), at + 3) && !announced; i++) {
        String l = docLines.get(i - 1);
        int hash = l.indexOf('#');
        announced = hash >= 0 && l.substring(hash).matches(".*\\b" + status + "\\b.*");
      }
      if (!announced) {
        out.add("HTTP " + status + " from the curl at " + b.file() + ":" + (b.line() + at)
            + " (a doc that expects it says so in a comment)");
      }
    }
    return out;
  }

  private static String q(String s) {
    return "'" + s.replace("'", "'\\''") + "'";
  }
}
