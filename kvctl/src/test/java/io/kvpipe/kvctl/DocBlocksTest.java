package io.kvpipe.kvctl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class DocBlocksTest {
  private static List<DocBlocks.Block> parse(String doc) {
    return DocBlocks.parse(Path.of("d.md"), doc.lines().toList());
  }

  @Test
  void findsShellBlocksInOrderWithTheirLinesAndLeavesOthersOut() {
    List<DocBlocks.Block> blocks = parse("""
        # title
        ```sh
        echo one
        ```
        ```json
        {"a": 1}
        ```
        ~~~bash
        echo two
        ```
        ~~~
        ```shell title="x"
        echo three
        ```
        """);
    assertThat(blocks).extracting(DocBlocks.Block::line).containsExactly(2, 8, 12);
    assertThat(blocks).extracting(DocBlocks.Block::script)
        .containsExactly("echo one\n", "echo two\n```\n", "echo three\n");
    assertThat(blocks).noneMatch(DocBlocks.Block::skipped);
  }

  @Test
  void consoleBlocksRunOnlyTheirPromptedCommandsWithContinuations() {
    List<DocBlocks.Block> blocks = parse("""
        ```console
        $ scripts/kvctl groups add g3 \\
            --peer n1@127.0.0.1:7001
        group g3 added
        $ echo done
        done
        ```
        """);
    assertThat(blocks.get(0).script()).isEqualTo("scripts/kvctl groups add g3 \\\n    --peer n1@127.0.0.1:7001\n"
        + "echo done\n");
    assertThatThrownBy(() -> parse("```console\ngroup g3 added\n```\n"))
        .hasMessageContaining("d.md:1").hasMessageContaining("without a '$ ' command line");
  }

  @Test
  void aSkipMarkerRightBeforeABlockSkipsItWithItsReason() {
    List<DocBlocks.Block> blocks = parse("""
        <!-- doc-test: skip: needs Docker -->

        ```sh
        docker compose up
        ```
        ```sh
        echo runs
        ```
        """);
    assertThat(blocks.get(0).skipReason()).isEqualTo("needs Docker");
    assertThat(blocks.get(1).skipped()).isFalse();
  }

  @Test
  void anInterruptAfterMarkerBoundsABlockThatFollowsUntilInterrupted() {
    List<DocBlocks.Block> blocks = parse("""
        <!-- doc-test: interrupt-after: 4 s -->
        ```sh
        scripts/kvctl watch user:
        ```
        ```sh
        echo runs
        ```
        """);
    assertThat(blocks.get(0).interruptAfterS()).isEqualTo(4);
    assertThat(blocks.get(0).skipped()).isFalse();
    assertThat(blocks.get(1).interruptAfterS()).isZero();
    assertThatThrownBy(() -> parse("<!-- doc-test: interrupt-after: 0 s -->\n```sh\nls\n```\n"))
        .hasMessageContaining("positive");
    assertThatThrownBy(() -> parse("<!-- doc-test: interrupt-after: soon -->\n```sh\nls\n```\n"))
        .hasMessageContaining("unknown doc-test marker");
    assertThatThrownBy(() -> parse("<!-- doc-test: interrupt-after: 3 s -->\ntext\n```sh\nls\n```\n"))
        .hasMessageContaining("not followed by a fenced block");
  }

  @Test
  void malformedMarkersAndUntaggedFencesAreRefusedNamingTheLine() {
    assertThatThrownBy(() -> parse("x\n<!-- doc-test: skip -->\n```sh\nls\n```\n"))
        .hasMessage("d.md:2: doc-test skip marker without a reason");
    assertThatThrownBy(() -> parse("<!-- doc-test: skip:   -->\n```sh\nls\n```\n"))
        .hasMessageContaining("without a reason");
    assertThatThrownBy(() -> parse("<!-- doc-test: ignore: x -->\n```sh\nls\n```\n"))
        .hasMessageContaining("d.md:1: unknown doc-test marker");
    assertThatThrownBy(() -> parse("<!-- doc-test: skip: x -->\ntext\n```sh\nls\n```\n"))
        .hasMessageContaining("not followed by a fenced block");
    assertThatThrownBy(() -> parse("<!-- doc-test: skip: x -->\n```json\n{}\n```\n"))
        .hasMessageContaining("never run");
    assertThatThrownBy(() -> parse("a\n```\nls\n```\n")).hasMessageStartingWith("d.md:2: fenced block without a "
        + "language tag");
    assertThatThrownBy(() -> parse("```sh\nls\n")).hasMessageContaining("never closed");
  }

  @Test
  void anHttpErrorFromCurlFailsUnlessTheDocAnnouncesItsStatus() {
    DocBlocks.Block b = parse("""
        ```sh
        curl -X PUT "$U/a"
        curl -X PUT -H "If-Match: 1" "$U/a"
                                       # 412: version mismatch
        ```
        """).get(0);
    // Line numbers as bash reports them: the wrapper's 13 prologue lines, then the block.
    assertThat(DocCommandsIT.unannouncedHttpErrors(b, "x\n[doc-test: curl at line 14 200]\n"
        + "[doc-test: curl at line 15 412]\n")).isEmpty();
    assertThat(DocCommandsIT.unannouncedHttpErrors(b, "[doc-test: curl at line 14 404]\n"))
        .containsExactly("HTTP 404 from the curl at d.md:2 (a doc that expects it says so in a comment)");
    assertThat(DocCommandsIT.unannouncedHttpErrors(b, "[doc-test: curl at line 15 409]\n")).hasSize(1);
  }

  /** The repository's own docs parse: every fence tagged, every marker with a reason. */
  @Test
  void everyDocOfTheRepositoryParses() throws Exception {
    Path root = RepoFiles.root();
    int shellBlocks = 0;
    for (Path doc : DocCommandsIT.docs(root)) {
      shellBlocks += DocBlocks.read(root, doc).size();
    }
    assertThat(shellBlocks).isPositive();
  }
}
