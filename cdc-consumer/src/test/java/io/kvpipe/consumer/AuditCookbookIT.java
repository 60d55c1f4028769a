package io.kvpipe.consumer;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import io.kvpipe.common.event.ChangeEvent;
import io.kvpipe.common.event.Op;
import io.kvpipe.common.event.Origin;
import io.kvpipe.testsupport.mysql.MySqlDatabase;
import io.kvpipe.testsupport.mysql.MySqlExtension;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Runs every SQL recipe of docs/audit.md against an archive with a known history and checks the answers. The doc's
 * own {@code SET} lines run first (so they must be valid), then this test sets the variables to fit its data.
 */
@ExtendWith(MySqlExtension.class)
class AuditCookbookIT {
  private static final Path DOC = Path.of("..", "docs", "audit.md");
  private static final Pattern BLOCK = Pattern.compile("```sql\\n(.*?)```", Pattern.DOTALL);
  private static final Pattern RECIPE = Pattern.compile("^-- recipe: ([a-z0-9-]+)\\n");
  private static final long S = 1000;
  private static HikariDataSource ds;

  @BeforeAll
  static void populate(MySqlDatabase db) throws SQLException {
    ds = ArchiveDataSource.create(db.jdbcUrl(), db.user(), db.password(), 2);
    SchemaMigrator.migrate(ds);
    List<ChangeEvent> history = List.of(
        ev(Op.CREATE, "user:42", null, "a", 0, 1, "g1", Origin.CLIENT),
        ev(Op.CREATE, "old", null, "o", 5, 8, "g1", Origin.CLIENT),
        ev(Op.CREATE, "User:42", null, "X", 10, 5, "g1", Origin.CLIENT),
        ev(Op.CREATE, "cart:7", null, "1", 20, 6, "g1", Origin.CLIENT),
        ev(Op.UPDATE, "user:42", "a", "b", 30, 2, "g1", Origin.CLIENT),
        ev(Op.DELETE, "old", "o", null, 65, 9, "g1", Origin.CLIENT),
        ev(Op.DELETE, "user:42", "b", null, 90, 3, "g1", Origin.CLIENT),
        ev(Op.CREATE, "user:42", null, "c", 150, 4, "g1", Origin.CLIENT),
        ev(Op.CREATE, "cart:7", null, "1", 200, 7, "g2", Origin.MIGRATION));
    new ArchiveWriter(ds, new OffsetStore(ds, "audit"), 100).write(new ArchiveBatch(
        history.stream().map(Events::archive).toList(),
        List.of(new DeadLetter("kv.changes", 2, 17, Events.b("k"), Events.b("{oops"), Events.T0, "not valid JSON")),
        Map.of(new TopicPartition("kv.changes", 0), 10L)));
  }

  /** One event at T0 + {@code second} s; the log index is unique per event. */
  private static ChangeEvent ev(Op op, String key, String before, String after, long second, long version,
                                String group, Origin origin) {
    return new ChangeEvent(op, key, Events.b(before), Events.b(after), Events.T0 + second * S, group,
        1000 + version, 1, 1, version, origin);
  }

  @AfterAll
  static void close() {
    ds.close();
  }

  /** Per recipe: the variables this test sets (after the doc's), and what the answer must be. */
  private static Map<String, Check> checks() {
    Map<String, Check> m = new LinkedHashMap<>();
    m.put("key-history", new Check("SET @key = 'user:42'", rows -> {
      assertThat(column(rows, 0)).containsExactly("1", "2", "3", "4");
      assertThat(column(rows, 1)).containsExactly("create", "update", "delete", "create");
      assertThat(column(rows, 3)).containsExactly("a", "b", null, "c");
      assertThat(column(rows, 4)).containsExactly(null, "a", "b", null);
    }));
    m.put("changes-in-window", new Check(
        "SET @from = '2026-01-01 00:00:00.000', @to = '2026-01-01 00:01:00.000'", rows -> {
          assertThat(column(rows, 1)).containsExactly("user:42", "old", "User:42", "cart:7", "user:42");
          assertThat(rows.getFirst().get(0)).startsWith("2026-01-01 00:00:00");
        }));
    m.put("state-as-of", new Check("SET @t = '2026-01-01 00:01:40.000'", rows -> {
      assertThat(rows).extracting(r -> r.get(0) + "=" + r.get(1)).containsExactlyInAnyOrder("cart:7=1", "User:42=X");
    }));
    m.put("state-as-of@later", new Check("SET @t = '2026-01-01 00:05:00.000'", rows -> {
      assertThat(rows).extracting(r -> r.get(0) + "=" + r.get(1) + "@" + r.get(2))
          .containsExactlyInAnyOrder("cart:7=1@6", "User:42=X@5", "user:42=c@4");
    }));
    m.put("deletes-in-window", new Check(
        "SET @from = '2026-01-01 00:00:00.000', @to = '2026-01-01 00:02:00.000'", rows -> {
          assertThat(column(rows, 1)).containsExactly("old", "user:42");
          assertThat(column(rows, 3)).containsExactly("o", "b");
        }));
    m.put("change-rate-per-minute", new Check(
        "SET @from = '2026-01-01 00:00:00', @to = '2026-01-01 01:00:00'", rows -> {
          assertThat(rows).extracting(r -> String.join(",", r)).containsExactly(
              "2026-01-01 00:00:00,5,4,1,0,0",
              "2026-01-01 00:01:00,2,0,0,2,0",
              "2026-01-01 00:02:00,1,1,0,0,0",
              "2026-01-01 00:03:00,1,0,0,0,1");
        }));
    m.put("live-keys", new Check("", rows -> assertThat(rows).extracting(r -> r.get(0) + "=" + r.get(1))
        .containsExactlyInAnyOrder("cart:7=1", "User:42=X", "user:42=c")));
    m.put("dead-letters", new Check("", rows -> assertThat(rows).extracting(r -> r.get(3) + ":" + r.get(4))
        .containsExactly("17:not valid JSON")));
    return m;
  }

  record Check(String setVariables, Consumer<List<List<String>>> assertion) {}

  @Test
  void everyRecipeInTheCookbookRunsAndAnswersCorrectly() throws IOException, SQLException {
    Map<String, String> recipes = recipes();
    Map<String, Check> checks = checks();
    assertThat(recipes.keySet()).as("recipes in docs/audit.md")
        .containsExactlyInAnyOrderElementsOf(checks.keySet().stream().map(k -> k.split("@")[0]).distinct().toList());
    for (Map.Entry<String, Check> c : checks.entrySet()) {
      String sql = recipes.get(c.getKey().split("@")[0]);
      List<List<String>> rows = run(sql, c.getValue().setVariables());
      try {
        c.getValue().assertion().accept(rows);
      } catch (AssertionError e) {
        throw new AssertionError("recipe " + c.getKey() + " returned " + rows + ": " + e.getMessage(), e);
      }
    }
  }

  private static Map<String, String> recipes() throws IOException {
    Map<String, String> out = new LinkedHashMap<>();
    Matcher m = BLOCK.matcher(Files.readString(DOC));
    while (m.find()) {
      Matcher r = RECIPE.matcher(m.group(1));
      assertThat(r.find()).as("every sql block in audit.md starts with '-- recipe: <id>':\n" + m.group(1)).isTrue();
      out.put(r.group(1), m.group(1).substring(r.end()));
    }
    return out;
  }

  /** Runs the recipe's statements; the test's SET goes right before the final query. */
  private static List<List<String>> run(String recipe, String setVariables) throws SQLException {
    List<String> statements = new ArrayList<>();
    for (String s : recipe.split(";\\s*\\n")) {
      if (!s.isBlank()) {
        statements.add(s.strip().replaceAll(";$", ""));
      }
    }
    String query = statements.removeLast();
    List<List<String>> rows = new ArrayList<>();
    try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
      for (String s : statements) {
        st.execute(s);
      }
      if (!setVariables.isEmpty()) {
        st.execute(setVariables);
      }
      try (ResultSet rs = st.executeQuery(query)) {
        int n = rs.getMetaData().getColumnCount();
        while (rs.next()) {
          List<String> row = new ArrayList<>(n);
          for (int i = 1; i <= n; i++) {
            row.add(rs.getString(i));
          }
          rows.add(row);
        }
      }
      c.rollback();
    }
    return rows;
  }

  private static List<String> column(List<List<String>> rows, int i) {
    return rows.stream().map(r -> r.get(i)).toList();
  }
}
