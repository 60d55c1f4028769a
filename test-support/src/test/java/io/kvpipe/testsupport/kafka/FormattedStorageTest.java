package io.kvpipe.testsupport.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FormattedStorageTest {
  @TempDir Path dir;

  @Test
  void aRememberedFormatIsWrittenWithIdsOfItsOwnAndTheCheckpointAsTheToolWroteIt() throws Exception {
    Map<String, String> key = FormattedStorage.key(Map.of("test.key", "remembered-" + System.nanoTime()));
    Path first = Files.createDirectories(dir.resolve("first"));
    Files.writeString(first.resolve("meta.properties"), "#\ncluster.id=06989462b5a04f46b2ffe4\n"
        + "directory.id=MafjtYjIVxCM3q5X8oP79g\nnode.id=1\nversion=1\n");
    byte[] checkpoint = {0, 1, 2, 3, (byte) 0xff};
    Files.write(first.resolve("bootstrap.checkpoint"), checkpoint);

    Path second = dir.resolve("second");
    assertThat(FormattedStorage.writeRemembered(key, second)).as("nothing remembered yet").isFalse();
    FormattedStorage.remember(key, first);
    assertThat(FormattedStorage.writeRemembered(key, second)).isTrue();

    assertThat(Files.readAllBytes(second.resolve("bootstrap.checkpoint"))).isEqualTo(checkpoint);
    Properties before = load(first.resolve("meta.properties"));
    Properties after = load(second.resolve("meta.properties"));
    assertThat(after.getProperty("node.id")).isEqualTo("1");
    assertThat(after.getProperty("version")).isEqualTo("1");
    assertThat(after.getProperty("cluster.id")).isNotBlank().isNotEqualTo(before.getProperty("cluster.id"));
    assertThat(after.getProperty("directory.id")).isNotBlank().isNotEqualTo(before.getProperty("directory.id"))
        .isNotEqualTo(after.getProperty("cluster.id"));
    assertThat(FormattedStorage.writeRemembered(FormattedStorage.key(Map.of("test.key", "other")), dir.resolve("x")))
        .as("another key's format").isFalse();
  }

  @Test
  void overridesThatMoveTheDataDirsAreNeverServedFromMemory() {
    assertThat(FormattedStorage.key(Map.of("log.dirs", "/elsewhere"))).isNull();
    assertThat(FormattedStorage.key(Map.of("metadata.log.dir", "/elsewhere"))).isNull();
    assertThat(FormattedStorage.key(Map.of(BrokerConfigFiles.LISTENER_HOST, "10.1.2.3"))).isEqualTo(Map.of());
  }

  private static Properties load(Path file) throws Exception {
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(file)) {
      p.load(r);
    }
    return p;
  }
}
