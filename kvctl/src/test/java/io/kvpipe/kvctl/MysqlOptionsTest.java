package io.kvpipe.kvctl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** kvctl's archive account: no root default, the consumer's variables, the old ones as deprecated fallbacks. */
class MysqlOptionsTest {
  private static MysqlOptions with(Map<String, String> env) {
    MysqlOptions o = new MysqlOptions();
    o.env = env::get;
    return o;
  }

  @Test
  void theUserHasNoDefault() {
    assertThatThrownBy(() -> with(Map.of()).user()).isInstanceOf(KvctlException.class)
        .hasMessageContaining("--mysql-user is required").hasMessageContaining("KVPIPE_JDBC_USER");
    KvctlRun r = KvctlRun.of("verify-archive", "--token=data-token-1", "--proxy", "http://127.0.0.1:1");
    assertThat(r.exitCode()).as(r.err()).isEqualTo(ExitCodes.USAGE);
    assertThat(r.err()).contains("--mysql-user is required");
  }

  @Test
  void theAccountComesFromTheConsumersVariablesFirst() {
    MysqlOptions o = with(Map.of("KVPIPE_JDBC_USER", "auditor", "KVPIPE_JDBC_PASSWORD", "pw",
        "KVPIPE_MYSQL_USER", "old", "KVPIPE_MYSQL_PASSWORD", "oldpw"));
    assertThat(o.user()).isEqualTo("auditor");
    assertThat(o.password()).isEqualTo("pw");
    o.user = "flag-user";
    assertThat(o.user()).isEqualTo("flag-user");
  }

  @Test
  void anEmptyPasswordVariableIsAnEmptyPasswordNotAFallback() {
    // `KVPIPE_JDBC_PASSWORD= kvctl archive-accounts --mysql-user root` with .devstack/env sourced (it exports the
    // auditor's password in both variables): root has no password there, and the auditor's must not be sent instead.
    MysqlOptions o = with(Map.of("KVPIPE_JDBC_PASSWORD", "", "KVPIPE_MYSQL_PASSWORD", "auditor-pw"));
    assertThat(o.password()).isEmpty();
  }

  @Test
  void theOldVariablesStillWork() {
    MysqlOptions o = with(Map.of("KVPIPE_MYSQL_USER", "old", "KVPIPE_MYSQL_PASSWORD", "oldpw"));
    assertThat(o.user()).isEqualTo("old");
    assertThat(o.password()).isEqualTo("oldpw");
    assertThat(with(Map.of()).password()).isEmpty();
  }
}
