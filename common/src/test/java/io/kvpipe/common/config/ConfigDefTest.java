package io.kvpipe.common.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigDefTest {
  private static final ConfigDef DEF = new ConfigDef("demo", List.of(
      Setting.integer("port", "DEMO_PORT", 8080, "listen port").validate(Validator.range(1, 65535)),
      Setting.string("kafka-bootstrap", "DEMO_KAFKA_BOOTSTRAP", "", "brokers").deprecatedFlag("bootstrap-servers"),
      Setting.string("tls-ca", "DEMO_PROXY_TLS_CA", "", "CA").envAlias("DEMO_TLS_CA", false)
          .envAlias("DEMO_OLD_CA", true),
      Setting.string("password", "DEMO_PASSWORD", "", "a secret").asSecret(),
      Setting.string("jdbc-url", "DEMO_JDBC_URL", "jdbc:mysql://h/db", "database"),
      Setting.bool("flag", "DEMO_FLAG", false, "a switch"),
      Setting.required("id", "DEMO_ID", SettingType.STRING, "required id"),
      Setting.string("group", "DEMO_GROUPS", null, "repeatable").repeatable(";")),
      "notes line");

  @Test
  void flagBeatsEnvBeatsFileBeatsDefault(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("demo.properties"), "port=3000\nflag=true\nid=from-file\n");
    ParsedConfig c = DEF.parse(new String[] {"--config", file.toString(), "--id", "from-flag"},
        Map.of("DEMO_PORT", "4000", "DEMO_ID", "from-env"));
    assertThat(c.string("id")).isEqualTo("from-flag");
    assertThat(c.source("id")).isEqualTo(ValueSource.FLAG);
    assertThat(c.integer("port")).isEqualTo(4000);
    assertThat(c.source("port")).isEqualTo(ValueSource.ENV);
    assertThat(c.bool("flag")).isTrue();
    assertThat(c.source("flag")).isEqualTo(ValueSource.FILE);
    assertThat(c.string("jdbc-url")).isEqualTo("jdbc:mysql://h/db");
    assertThat(c.source("jdbc-url")).isEqualTo(ValueSource.DEFAULT);
    assertThat(c.describe()).contains("id=from-flag  [flag]", "port=4000  [env DEMO_PORT]",
        "flag=true  [file " + file + "]", "jdbc-url=jdbc:mysql://h/db  [default]");
  }

  @Test
  void blankVariableCountsAsUnset() {
    ParsedConfig c = DEF.parse(new String[] {"--id", "x"}, Map.of("DEMO_PORT", " "));
    assertThat(c.integer("port")).isEqualTo(8080);
    assertThat(c.source("port")).isEqualTo(ValueSource.DEFAULT);
  }

  @Test
  void fileWithAnUnknownKeyIsRefused(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("bad.properties"), "id=a\nprot=1\n");
    assertThatThrownBy(() -> DEF.parse(new String[] {"--config", file.toString()}, Map.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown setting 'prot'")
        .hasMessageContaining(file.toString());
    assertThatThrownBy(() -> DEF.parse(new String[] {"--config", dir.resolve("missing").toString()}, Map.of()))
        .hasMessageContaining("cannot read");
  }

  @Test
  void deprecatedFlagWorksWithOneWarning(@TempDir Path dir) throws Exception {
    ParsedConfig c = DEF.parse(new String[] {"--id", "x", "--bootstrap-servers", "k:1", "--bootstrap-servers",
        "k:2"}, Map.of());
    assertThat(c.string("kafka-bootstrap")).isEqualTo("k:2");
    assertThat(c.warnings()).containsExactly("--bootstrap-servers is deprecated: use --kafka-bootstrap");
    assertThat(DEF.parse(new String[] {"--id", "x", "--kafka-bootstrap", "k:1"}, Map.of()).warnings()).isEmpty();
    Path file = Files.writeString(dir.resolve("a.properties"), "bootstrap-servers=k:3\n");
    ParsedConfig fromFile = DEF.parse(new String[] {"--id", "x", "--config", file.toString()}, Map.of());
    assertThat(fromFile.string("kafka-bootstrap")).isEqualTo("k:3");
    assertThat(fromFile.warnings()).containsExactly("bootstrap-servers is deprecated: use kafka-bootstrap");
  }

  @Test
  void envAliasesAreReadAfterTheMainVariable() {
    assertThat(DEF.parse(new String[] {"--id", "x"}, Map.of("DEMO_TLS_CA", "shared.pem", "DEMO_OLD_CA", "old.pem"))
        .string("tls-ca")).isEqualTo("shared.pem");
    ParsedConfig both = DEF.parse(new String[] {"--id", "x"}, Map.of("DEMO_PROXY_TLS_CA", "own.pem",
        "DEMO_TLS_CA", "shared.pem"));
    assertThat(both.string("tls-ca")).isEqualTo("own.pem");
    assertThat(both.warnings()).isEmpty();
    ParsedConfig old = DEF.parse(new String[] {"--id", "x"}, Map.of("DEMO_OLD_CA", "old.pem"));
    assertThat(old.string("tls-ca")).isEqualTo("old.pem");
    assertThat(old.warnings()).containsExactly("environment variable DEMO_OLD_CA is deprecated: use DEMO_PROXY_TLS_CA");
    assertThat(old.describe()).contains("tls-ca=old.pem  [env DEMO_OLD_CA]");
  }

  @Test
  void secretsAndUrlPasswordsAreMasked() {
    ParsedConfig c = DEF.parse(new String[] {"--id", "x", "--password", "hunter22", "--jdbc-url",
        "jdbc:mysql://h/db?user=u&password=pw99&x=1"}, Map.of());
    assertThat(c.string("password")).isEqualTo("hunter22");
    assertThat(c.describe()).doesNotContain("hunter22").doesNotContain("pw99").contains("password=****  [flag]")
        .contains("password=****&x=1");
    assertThatThrownBy(() -> DEF.parse(new String[] {"--id", "x", "--password", "a"}, Map.of("DEMO_PORT", "0")))
        .hasMessageContaining("--port must be within 1..65535, got '0' (from DEMO_PORT)");
  }

  @Test
  void badValuesNameTheSettingAndWhereTheValueCameFrom() {
    assertThatThrownBy(() -> DEF.parse(new String[] {"--id", "x", "--port", "many"}, Map.of()))
        .hasMessage("--port must be an integer, got 'many' (flag)");
    assertThatThrownBy(() -> DEF.parse(new String[] {"--id", "x"}, Map.of("DEMO_FLAG", "yes")))
        .hasMessage("--flag must be true or false, got 'yes' (from DEMO_FLAG)");
    assertThatThrownBy(() -> DEF.parse(new String[] {"--nope", "1"}, Map.of()))
        .hasMessageContaining("unknown flag --nope");
    assertThatThrownBy(() -> DEF.parse(new String[0], Map.of()).required("id"))
        .hasMessageContaining("--id (or DEMO_ID) is required");
  }

  @Test
  void repeatableSettingTakesEveryFlagOrASeparatedVariable() {
    assertThat(DEF.parse(new String[] {"--id", "x", "--group", "a", "--group", "b"}, Map.of("DEMO_GROUPS", "c"))
        .list("group")).containsExactly("a", "b");
    assertThat(DEF.parse(new String[] {"--id", "x"}, Map.of("DEMO_GROUPS", "c; d;")).list("group"))
        .containsExactly("c", "d");
    assertThat(DEF.parse(new String[] {"--id", "x"}, Map.of()).list("group")).isEmpty();
  }

  @Test
  void helpListsEverySettingWithVariableDefaultAndOtherNames() {
    String help = DEF.help();
    for (Setting s : DEF.settings()) {
      assertThat(help).contains(s.flag()).contains(s.env()).contains(s.doc());
    }
    assertThat(help).contains("--bootstrap-servers (deprecated)").contains("DEMO_OLD_CA (deprecated)")
        .contains("DEMO_TLS_CA").contains("default (required)").contains("--config FILE").contains("notes line")
        .contains("(secret: never printed)").contains("separated by ';'");
    assertThat(ConfigDef.wantsHelp(new String[] {"--port", "1", "--help"})).isTrue();
    assertThat(ConfigDef.wantsHelp(new String[] {"--port", "1"})).isFalse();
  }

  @Test
  void aNameDefinedTwiceIsAProgrammingError() {
    assertThatThrownBy(() -> new ConfigDef("x", List.of(Setting.string("a", "X_A", "", "a"),
        Setting.string("b", "X_B", "", "b").deprecatedFlag("a")), null)).hasMessageContaining("--a defined twice");
  }
}
