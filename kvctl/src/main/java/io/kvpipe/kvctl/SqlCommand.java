package io.kvpipe.kvctl;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code kvctl sql "SELECT ..."}: runs audit queries (docs/audit.md) against the archive in a read-only transaction,
 * for machines without the mariadb/mysql client. Statements separated by ';' run in order on one connection (so
 * {@code SET @key = ...; SELECT ...} works); the result of each query is printed. Every statement is checked first
 * ({@link ReadOnlySql}): one that could write refuses the whole run before anything is sent. Use it with the auditor
 * account, which the server itself keeps to SELECT.
 */
@Command(name = "sql", description = "Run read-only SQL (e.g. docs/audit.md recipes) against the archive.")
final class SqlCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Mixin
  MysqlOptions mysql;

  @Mixin
  OutputOptions output;

  @Option(names = "--tsv", description = "tab-separated rows without a header (for scripts)")
  boolean tsv;

  @Parameters(index = "0", paramLabel = "SQL", description = "one or more statements separated by ';'")
  String sql;

  @Override
  public Integer call() {
    String url = mysql.jdbcUrl();
    List<String> statements = splitStatements(sql);
    statements.forEach(ReadOnlySql::check);
    try (Connection c = mysql.connect(url)) {
      c.setReadOnly(true);
      c.setAutoCommit(false);
      try (Statement st = c.createStatement()) {
        for (String statement : statements) {
          if (st.execute(statement)) {
            try (ResultSet rs = st.getResultSet()) {
              print(rs);
            }
          }
        }
      } finally {
        c.rollback();
      }
    } catch (SQLException e) {
      throw new KvctlException(ExitCodes.SERVER_ERROR, "SQL failed on " + url + ": " + e.getMessage(), e);
    }
    return ExitCodes.OK;
  }

  /** Splits on ';' outside quotes; empty statements are dropped. */
  static List<String> splitStatements(String text) {
    List<String> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    char quote = 0;
    for (int i = 0; i < text.length(); i++) {
      char ch = text.charAt(i);
      if (quote != 0) {
        if (ch == '\\' && i + 1 < text.length()) {
          cur.append(ch).append(text.charAt(++i));
          continue;
        }
        if (ch == quote) {
          quote = 0;
        }
      } else if (ch == '\'' || ch == '"' || ch == '`') {
        quote = ch;
      } else if (ch == ';') {
        add(out, cur);
        continue;
      }
      cur.append(ch);
    }
    add(out, cur);
    return out;
  }

  private static void add(List<String> out, StringBuilder cur) {
    String s = cur.toString().strip();
    if (!s.isEmpty()) {
      out.add(s);
    }
    cur.setLength(0);
  }

  private void print(ResultSet rs) throws SQLException {
    ResultSetMetaData md = rs.getMetaData();
    int n = md.getColumnCount();
    String[] names = new String[n];
    for (int i = 0; i < n; i++) {
      names[i] = md.getColumnLabel(i + 1);
    }
    List<Map<String, Object>> rows = new ArrayList<>();
    Table table = new Table(names);
    while (rs.next()) {
      Object[] cells = new Object[n];
      Map<String, Object> row = new LinkedHashMap<>();
      for (int i = 0; i < n; i++) {
        Object v = rs.getObject(i + 1);
        cells[i] = v instanceof byte[] b ? new String(b, java.nio.charset.StandardCharsets.UTF_8) : v;
        row.put(names[i], cells[i] == null ? null : cells[i].toString());
      }
      rows.add(row);
      if (tsv) {
        List<String> parts = new ArrayList<>();
        for (Object cell : cells) {
          parts.add(cell == null ? "NULL" : cell.toString());
        }
        spec.commandLine().getOut().println(String.join("\t", parts));
      } else {
        table.row(cells);
      }
    }
    if (output.json) {
      try {
        spec.commandLine().getOut().println(ProxyApi.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(rows));
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        throw new KvctlException(ExitCodes.SERVER_ERROR, "cannot print JSON: " + e.getOriginalMessage(), e);
      }
    } else if (!tsv) {
      table.print(spec.commandLine().getOut());
    }
    spec.commandLine().getOut().flush();
  }
}
