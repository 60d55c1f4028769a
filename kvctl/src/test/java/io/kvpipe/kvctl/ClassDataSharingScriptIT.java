package io.kvpipe.kvctl;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code scripts/lib/jdk.sh}'s {@code kvpipe_cds_options}, which the dev stack and {@code kafka-local.sh} start their
 * JVMs with: real JVMs write and map the archives. CI once crashed all three kv-nodes of a dev stack in the JVM's
 * archive validation (SIGSEGV): the three had found no archive, so each was told to write the one path at exit, and
 * stopped together they wrote it at once.
 */
class ClassDataSharingScriptIT {
  private static final String MAIN = "io.kvpipe.kvctl.Kvctl";
  private static String classPath;

  @TempDir Path dir;

  @BeforeAll
  static void kvctlJarClassPath() throws IOException {
    Path target = RepoFiles.root().resolve("kvctl/target");
    Path jar;
    try (Stream<Path> s = Files.list(target)) {
      jar = s.filter(p -> p.getFileName().toString().matches("kvctl-.*\\.jar")).findFirst().orElseThrow();
    }
    // Jars only: CDS refuses a class path with a non-empty directory, and the options are then empty.
    classPath = jar + File.pathSeparator + Files.readString(target.resolve("kvctl-classpath.txt")).trim();
  }

  @Test
  void whileNoArchiveExistsOneJvmWritesItIntoAFileNoJvmMaps() throws Exception {
    List<List<String>> starts = List.of(options(), options(), options());

    List<List<String>> writers = starts.stream().filter(ClassDataSharingScriptIT::writes).toList();
    assertThat(writers).as("JVMs told to write an archive at exit, of %s", starts).hasSize(1);
    List<String> written = writers.get(0).stream().filter(o -> o.startsWith("-XX:ArchiveClassesAtExit=")).toList();
    assertThat(written).hasSize(1);
    for (List<String> start : starts) {
      assertThat(start).as("what each JVM maps").noneMatch(o -> o.startsWith("-XX:SharedArchiveFile="));
    }
  }

  @Test
  void theArchiveOneJvmWroteIsMappedByEveryLaterStart() throws Exception {
    List<String> writer = options();
    assertThat(writes(writer)).as("%s", writer).isTrue();
    List<String> meanwhile = options();
    assertThat(java(writer)).isZero();
    assertThat(java(meanwhile)).isZero();

    List<String> later = options();
    assertThat(later).as("a start after the writer exited").anyMatch(o -> o.startsWith("-XX:SharedArchiveFile="))
        .noneMatch(o -> o.startsWith("-XX:ArchiveClassesAtExit="));
    // -Xshare:on: the JVM fails to start unless it maps the archive.
    List<String> required = new ArrayList<>(later);
    required.add("-Xshare:on");
    assertThat(java(required)).isZero();
    assertThat(java(required)).isZero();
    try (Stream<Path> left = Files.list(dir)) {
      assertThat(left.map(p -> p.getFileName().toString()))
          .as("only the archive is left: no temporary file, no writer's claim").hasSize(1).allMatch(n -> n.endsWith(".jsa"));
    }
  }

  @Test
  void aWriterKilledBeforeWritingDoesNotKeepTheArchiveFromBeingWrittenLater() throws Exception {
    List<String> writer = options();
    assertThat(writes(writer)).isTrue();
    // Killed before its exit: it wrote nothing. Its claim expires after 10 minutes; age it.
    Path claim;
    try (Stream<Path> s = Files.list(dir)) {
      claim = s.filter(p -> p.getFileName().toString().endsWith(".writer")).findFirst().orElseThrow();
    }
    assertThat(writes(options())).as("while the claim is fresh").isFalse();
    Files.setLastModifiedTime(claim, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() - 11 * 60_000));
    assertThat(writes(options())).as("once the claim expired").isTrue();
  }

  private static boolean writes(List<String> options) {
    return options.stream().anyMatch(o -> o.startsWith("-XX:ArchiveClassesAtExit=") || o.equals("-XX:+AutoCreateSharedArchive"));
  }

  /** The options kvpipe_cds_options prints for the kvctl main class path, as the dev stack asks for them. */
  private List<String> options() throws Exception {
    String out = bash("kvpipe_cds_options \"$1\" kvctl-test \"$2\" -XX:+UseSerialGC", dir.toString(), classPath);
    return out.lines().filter(l -> !l.isBlank()).toList();
  }

  /** Runs kvctl's --help in a JVM with these CDS options, on the JDK the script chose; its exit code. */
  private int java(List<String> cds) throws Exception {
    List<String> args = new ArrayList<>(List.of("-XX:+UseSerialGC"));
    args.addAll(cds);
    args.addAll(List.of("-cp", classPath, MAIN, "--help"));
    Process p = bashProcess("exec java \"$@\"", args.toArray(String[]::new));
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).as(out).isTrue();
    assertThat(out).as("JVM output").doesNotContain("fatal error", "Unable to use shared archive");
    return p.exitValue();
  }

  private static String bash(String script, String... args) throws Exception {
    Process p = bashProcess(script, args);
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    return out;
  }

  private static Process bashProcess(String script, String... args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of("bash", "-c",
        ". scripts/lib/jdk.sh && kvpipe_require_jdk >/dev/null && " + script, "cds-test"));
    cmd.addAll(List.of(args));
    return new ProcessBuilder(cmd).directory(RepoFiles.root().toFile()).redirectErrorStream(true).start();
  }
}
