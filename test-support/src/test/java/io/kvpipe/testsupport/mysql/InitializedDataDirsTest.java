package io.kvpipe.testsupport.mysql;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InitializedDataDirsTest {
  @TempDir Path dir;

  @Test
  void theFirstOfferedDataDirBecomesTheTemplateAndLaterServersGetACopyOfIt() throws Exception {
    Path template = dir.resolve("template");
    assertThat(InitializedDataDirs.copyTemplate(template, dir.resolve("none"))).as("no template yet").isFalse();

    Path first = Files.createDirectories(dir.resolve("first/data/mysql"));
    Files.writeString(first.resolve("user.frm"), "first");
    Files.writeString(first.getParent().resolve("ibdata1"), "pages");
    InitializedDataDirs.offer(first.getParent(), template);

    Path second = Files.createDirectories(dir.resolve("second/data/mysql"));
    Files.writeString(second.resolve("user.frm"), "second");
    InitializedDataDirs.offer(second.getParent(), template); // the template is there: kept as it was

    Path copy = dir.resolve("third/data");
    assertThat(InitializedDataDirs.copyTemplate(template, copy)).isTrue();
    assertThat(Files.readString(copy.resolve("mysql/user.frm"))).isEqualTo("first");
    assertThat(Files.readString(copy.resolve("ibdata1"))).isEqualTo("pages");
    try (var s = Files.list(dir)) {
      assertThat(s.map(p -> p.getFileName().toString())).as("no staging dir left behind")
          .containsExactlyInAnyOrder("template", "first", "second", "third");
    }
  }

  @Test
  void theTemplateIsPerKey() {
    assertThat(InitializedDataDirs.template("/usr/sbin/mariadbd\n10.11.6\nroot"))
        .isEqualTo(InitializedDataDirs.template("/usr/sbin/mariadbd\n10.11.6\nroot"))
        .isNotEqualTo(InitializedDataDirs.template("/usr/sbin/mariadbd\n10.11.7\nroot"));
  }
}
