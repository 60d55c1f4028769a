package io.kvpipe.kvctl.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The manifest: written atomically, read back equal, and every malformed or hostile field refused with a reason. */
class BackupManifestTest {
  @TempDir
  Path dir;

  static final String SHA = "0123456789abcdef".repeat(4);

  static BackupManifest.Group group(String id, String file, String sha) {
    return new BackupManifest.Group(id, id, 42, 3, List.<long[]>of(new long[] {0, 1L << 32}), 10, 100, file, sha);
  }

  static BackupManifest manifest(List<BackupManifest.Group> groups) {
    return new BackupManifest(BackupManifest.FORMAT, BackupManifest.VERSION, "2026-12-05T13:00:00Z", 7, 3, 128,
        groups.stream().map(BackupManifest.Group::id).toList(), groups);
  }

  @Test
  void aWrittenManifestReadsBackEqual() throws Exception {
    BackupManifest m = manifest(List.of(group("g1", "g1.kvb", SHA), group("g2", "g2.kvb", SHA)));
    m.write(dir);
    assertThat(Files.exists(dir.resolve("manifest.json.tmp"))).isFalse();
    BackupManifest back = BackupManifest.read(dir);
    assertThat(back).usingRecursiveComparison().isEqualTo(m);
    assertThat(back.totalRecords()).isEqualTo(20);
  }

  @Test
  void aMissingDirectoryOrManifestIsNamed() {
    assertThatThrownBy(() -> BackupManifest.read(dir.resolve("nope"))).isInstanceOf(BackupFormatException.class)
        .hasMessageContaining("no backup directory");
    assertThatThrownBy(() -> BackupManifest.read(dir)).hasMessageContaining("holds no manifest.json");
  }

  @Test
  void garbageIsNotAManifest() throws Exception {
    Files.writeString(dir.resolve("manifest.json"), "{\"format\": \"kvpipe-backup\", ");
    assertThatThrownBy(() -> BackupManifest.read(dir)).isInstanceOf(BackupFormatException.class)
        .hasMessageContaining("not a valid manifest");
    Files.writeString(dir.resolve("manifest.json"), "null");
    assertThatThrownBy(() -> BackupManifest.read(dir)).isInstanceOf(BackupFormatException.class);
  }

  @Test
  void badFieldsAreRefused() {
    assertRefused(new BackupManifest("other", 1, "", 1, 1, 128, List.of("g1"), List.of(group("g1", "g1.kvb", SHA))),
        "not a kvpipe backup");
    assertRefused(new BackupManifest(BackupManifest.FORMAT, 2, "", 1, 1, 128, List.of("g1"),
        List.of(group("g1", "g1.kvb", SHA))), "version 2 is not supported");
    assertRefused(manifest(List.of()), "no groups");
    assertRefused(manifest(List.of(group("g1", "../../etc/passwd.kvb", SHA))), "bad or repeated data file name");
    assertRefused(manifest(List.of(group("g1", "g1.kvb", SHA), group("g2", "g1.kvb", SHA))),
        "bad or repeated data file name");
    assertRefused(manifest(List.of(group("g1", "g1.kvb", "abc"))), "no valid SHA-256");
    assertRefused(manifest(List.of(group("g1", "g1.kvb", SHA), group("g1", "g2.kvb", SHA))), "twice");
    assertRefused(new BackupManifest(BackupManifest.FORMAT, 1, "", 1, 1, 128, List.of("g1", "g9"),
        List.of(group("g1", "g1.kvb", SHA))), "ring names groups");
  }

  static void assertRefused(BackupManifest m, String message) {
    assertThatThrownBy(m::validate).isInstanceOf(BackupFormatException.class).hasMessageContaining(message);
  }
}
