package io.kvpipe.consumer.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.common.wire.Command;
import io.kvpipe.common.wire.Command.Compare;
import io.kvpipe.common.wire.Query;
import io.kvpipe.common.wire.Reply;
import io.kvpipe.common.wire.Request;
import io.kvpipe.testsupport.Poll;
import io.kvpipe.testsupport.kafka.KafkaBrokerExtension;
import io.kvpipe.testsupport.mysql.MySqlDatabase;
import io.kvpipe.testsupport.mysql.MySqlExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Transactions through the whole pipeline: a real 3-replica group with CDC on → real broker → the archive consumer →
 * a fresh MySQL database. Each change of a transaction is its own kv_changelog row, all with the transaction's id;
 * a plain write beside them has none; a transaction whose compare failed and only read leaves no row.
 */
@ExtendWith(MySqlExtension.class)
class TxnPipelineIT {
  @RegisterExtension static final KafkaBrokerExtension KAFKA = KafkaBrokerExtension.shared();
  private static final Duration START = Duration.ofSeconds(90);
  private static final Duration WAIT = Duration.ofSeconds(120);

  @TempDir Path dir;

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void aTransactionsChangesAreArchivedAsRowsSharingItsId(MySqlDatabase db) throws Exception {
    try (PipelineStack stack = PipelineStack.start(dir, KAFKA.bootstrapServers(), db, "kv.changes.txn", null,
        START)) {
      long plain = stack.client().put("{o:1}:status", b("new")).version();
      Reply.Txn done = stack.client().txnAsync(new Command.Txn(
          List.of(new Compare(b("{o:1}:status"), Compare.Target.VALUE, b("new"), 0)),
          List.of(Command.Put.unconditional(b("{o:1}:status"), b("paid")),
              Command.Put.unconditional(b("{o:1}:receipt"), b("r-1")),
              new Command.Delete(b("{o:1}:cart"), Request.ANY_VERSION)),
          List.of(new Query.Get(b("{o:1}:status"))))).get();
      assertThat(done.succeeded()).isTrue();
      long v = ((Reply.Written) done.results().get(0)).version();
      Reply.Txn notAgain = stack.client().txnAsync(new Command.Txn(
          List.of(new Compare(b("{o:1}:status"), Compare.Target.VALUE, b("new"), 0)),
          List.of(Command.Put.unconditional(b("{o:1}:status"), b("paid twice"))),
          List.of(new Query.Get(b("{o:1}:status"))))).get();
      assertThat(notAgain.succeeded()).isFalse();
      Poll.until("the pipeline to be idle", WAIT, Duration.ofMillis(250), () -> stack.idle(db));

      List<String> rows = new ArrayList<>();
      try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
          "SELECT CONVERT(kv_key USING utf8mb4), op, version, event_seq, COALESCE(txn_id, '-'), log_index"
              + " FROM kv_changelog ORDER BY version, event_seq")) {
        while (rs.next()) {
          rows.add(rs.getString(1) + " " + rs.getString(2) + " " + rs.getLong(3) + " " + rs.getInt(4) + " "
              + rs.getString(5) + (rs.getString(5).equals("-") ? "" : "@" + rs.getLong(6)));
        }
      }
      String id = PipelineStack.GROUP + ":" + io.kvpipe.common.Versions.logIndex(v);
      String at = "@" + io.kvpipe.common.Versions.logIndex(v);
      assertThat(rows).containsExactly(
          "{o:1}:status c " + plain + " 0 -",
          "{o:1}:status u " + v + " 0 " + id + at,
          "{o:1}:receipt c " + v + " 1 " + id + at,
          "{o:1}:cart d " + v + " 2 " + id + at);
      try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
          "SELECT COUNT(*) FROM kv_history WHERE txn_id = '" + id + "'")) {
        rs.next();
        assertThat(rs.getInt(1)).isEqualTo(3);
      }
    }
  }
}
