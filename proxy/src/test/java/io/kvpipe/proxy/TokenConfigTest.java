package io.kvpipe.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvpipe.proxy.http.TokenFiles;
import io.kvpipe.proxy.http.TokenSet;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenConfigTest {
  private static final String PEERS = "n1@127.0.0.1:9001";

  @TempDir
  Path dir;

  @Test
  void tokensComeFromVariablesAndFilesSeveralPerRole() throws Exception {
    Path data = Files.writeString(dir.resolve("data"), "# data tokens\nfile-data-token-1\n\n  file-data-token-2  \n");
    Path admin = Files.writeString(dir.resolve("admin"), "file-admin-token\n");
    ProxyConfig c = ProxyConfigParser.parse(new String[] {"--data-token-file", data.toString(),
        "--admin-token-file=" + admin}, Map.of("KVPIPE_META_PEERS", PEERS, "KVPIPE_INSECURE_PLAINTEXT", "true",
        "KVPIPE_TOKEN", "env-data-token-a,env-data-token-b"));
    TokenSet set = c.tokens().load();
    assertThat(set.dataCount()).isEqualTo(4);
    assertThat(set.adminCount()).isEqualTo(1);
    for (String t : List.of("env-data-token-a", "env-data-token-b", "file-data-token-1", "file-data-token-2")) {
      assertThat(set.roleOf(t)).as(t).isEqualTo(TokenSet.Role.DATA);
    }
    assertThat(set.roleOf("file-admin-token")).isEqualTo(TokenSet.Role.ADMIN);
    assertThat(set.roleOf("# data tokens")).isEqualTo(TokenSet.Role.NONE);
    assertThat(c.tokens().onCommandLine()).isFalse();
  }

  @Test
  void thePrintedConfigurationNamesNoToken() throws Exception {
    Path admin = Files.writeString(dir.resolve("admin"), "file-admin-token\n");
    ProxyConfig c = ProxyConfigParser.parse(new String[] {"--admin-token-file", admin.toString(),
        "--data-token", "flag-data-token"}, Map.of("KVPIPE_META_PEERS", PEERS, "KVPIPE_INSECURE_PLAINTEXT", "true"));
    for (String printed : List.of(c.describe(), c.toString())) {
      assertThat(printed).doesNotContain("file-admin-token").doesNotContain("flag-data-token")
          .contains("1 token(s)").contains("visible in ps");
    }
    assertThat(c.tokens().onCommandLine()).isTrue();
  }

  @Test
  void badTokensAreClearErrors() throws Exception {
    Map<String, String> env = Map.of("KVPIPE_META_PEERS", PEERS, "KVPIPE_INSECURE_PLAINTEXT", "true", "KVPIPE_TOKEN", "data-token-1");
    assertThatThrownBy(() -> ProxyConfigParser.parse(new String[0], env)).hasMessageContaining("admin token");
    assertThatThrownBy(() -> ProxyConfigParser.parse(new String[] {"--admin-token-file", dir.resolve("nope")
        .toString()}, env)).hasMessageContaining("cannot read token file").hasMessageNotContaining("data-token-1");
    Path both = Files.writeString(dir.resolve("both"), "data-token-1\n");
    assertThatThrownBy(() -> ProxyConfigParser.parse(new String[] {"--admin-token-file", both.toString()}, env))
        .hasMessageContaining("must differ").hasMessageNotContaining("data-token-1");
    Path shortOne = Files.writeString(dir.resolve("short"), "admin-token-1\nshort\n");
    assertThatThrownBy(() -> ProxyConfigParser.parse(new String[] {"--admin-token-file", shortOne.toString()}, env))
        .hasMessageContaining("at least 8").hasMessageNotContaining("short\n");
  }

  @Test
  void aChangedTokenFileIsReReadAndABrokenOneKeepsTheTokensInForce() throws Exception {
    Path admin = Files.writeString(dir.resolve("admin"), "admin-token-old\n");
    TokenConfig cfg = new TokenConfig(List.of("data-token-1"), List.of(), java.util.Optional.empty(),
        java.util.Optional.of(admin), false);
    try (TokenFiles files = new TokenFiles(cfg::load, List.of(admin), Duration.ofHours(1))) {
      assertThat(files.get().roleOf("admin-token-old")).isEqualTo(TokenSet.Role.ADMIN);
      // Rotation, step 1: the new token beside the old one; both work.
      write(admin, "admin-token-old\nadmin-token-new\n", 1);
      assertThat(files.reloadIfChanged()).isTrue();
      assertThat(files.get().roleOf("admin-token-old")).isEqualTo(TokenSet.Role.ADMIN);
      assertThat(files.get().roleOf("admin-token-new")).isEqualTo(TokenSet.Role.ADMIN);
      // Step 2: the old one removed; it is refused from then on.
      write(admin, "admin-token-new\n", 2);
      assertThat(files.reloadIfChanged()).isTrue();
      assertThat(files.get().roleOf("admin-token-old")).isEqualTo(TokenSet.Role.NONE);
      // A mistake (emptied file) does not lock everyone out.
      write(admin, "\n", 3);
      assertThat(files.reloadIfChanged()).isFalse();
      assertThat(files.get().roleOf("admin-token-new")).isEqualTo(TokenSet.Role.ADMIN);
      // The printed configuration (/api/cluster/config) still answers, saying so.
      assertThat(cfg.describe("admin")).contains("unusable now").contains("last read are in force");
    }
  }

  /** Writes and moves the modification time on by {@code step} seconds, so a change within one clock tick is seen. */
  private static void write(Path file, String text, int step) throws Exception {
    Files.writeString(file, text);
    Files.setLastModifiedTime(file, FileTime.fromMillis(1_000_000_000_000L + step * 1000L));
  }
}
