package io.kvpipe.kvctl;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ReadOnlySqlTest {
  @ParameterizedTest
  @ValueSource(strings = {
      "SELECT * FROM kv_history WHERE key_text = 'delete me; update'",
      "select count(*) from kv_changelog -- a comment with DELETE",
      "SET @key = 'k', @t = (SELECT MAX(event_time) FROM kv_changelog)",
      "SET @q := 'DROP TABLE x'",
      "WITH h AS (SELECT * FROM kv_changelog) SELECT COUNT(*) FROM h",
      "SHOW TABLES",
      "DESCRIBE kv_changelog",
      "EXPLAIN SELECT * FROM kv_current",
      "SELECT `update` FROM t /* DELETE */",
      "SELECT @@version"})
  void readsPass(String sql) {
    assertThatCode(() -> ReadOnlySql.check(sql)).doesNotThrowAnyException();
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "COMMIT",
      "SET SESSION TRANSACTION READ WRITE",
      "SET autocommit = 1",
      "SET @a = 1, @@session.transaction_read_only = 0",
      "SET @a = 1, transaction_read_only = 0",
      "PREPARE s FROM 'DELETE FROM kv_changelog'",
      "EXECUTE s",
      "DELETE FROM kv_changelog",
      "UPDATE kv_current SET deleted = 1",
      "WITH x AS (SELECT 1) DELETE FROM kv_changelog",
      "EXPLAIN ANALYZE DELETE FROM kv_changelog",
      "SELECT * FROM kv_changelog INTO OUTFILE '/tmp/x'",
      "SELECT * FROM kv_current FOR UPDATE",
      "/*!40101 SET SESSION TRANSACTION READ WRITE */",
      "SELECT 1 /*M!100000 , (SELECT 1) */",
      "DO SLEEP(1)",
      "CALL p()",
      "LOCK TABLES kv_changelog WRITE",
      "CREATE TABLE t (a INT)",
      "START TRANSACTION READ WRITE"})
  void anythingElseIsRefusedBeforeItIsSent(String sql) {
    assertThatThrownBy(() -> ReadOnlySql.check(sql)).isInstanceOf(KvctlException.class).hasMessageContaining("refused");
  }
}
