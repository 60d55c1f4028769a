package io.kvpipe.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class JvmOptionsTest {
  @Test
  void commentsAndBlankLinesAreDropped() {
    assertThat(JvmOptions.parse(List.of("# why", "", "-Xms64m   # start small", "  -XX:+UseG1GC  ", "-Da=1 -Db=2")))
        .isEqualTo("-Xms64m -XX:+UseG1GC -Da=1 -Db=2");
  }

  @Test
  void everyShippedFileHasOptionsAndNoStrayText() throws IOException {
    // Surefire runs in the module directory; the files are the repository's config/jvm.
    for (String process : List.of("kv-node", "proxy", "cdc-consumer")) {
      String options = JvmOptions.parse(Files.readAllLines(Path.of("..").resolve(JvmOptions.DIR)
          .resolve(process + ".options")));
      assertThat(options).as(process).contains("-Xmx");
      assertThat(options.split(" ")).as(process).allMatch(o -> o.startsWith("-"));
    }
  }

  @Test
  void anEnvironmentLineIsNameValuePairs() {
    assertThat(JvmOptions.envMap(JvmOptions.parse(List.of("# why", "A_=131072  # trim", "", "B=2"))))
        .containsExactly(java.util.Map.entry("A_", "131072"), java.util.Map.entry("B", "2"));
    assertThat(JvmOptions.envMap("")).isEmpty();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> JvmOptions.envMap("-Xmx1g"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
