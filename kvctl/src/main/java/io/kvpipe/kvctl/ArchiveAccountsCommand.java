package io.kvpipe.kvctl;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code kvctl archive-accounts}: makes the archive's two accounts exactly what docs/security.md says, connected as an
 * administrator (the --mysql-* options): the consumer's writer (SELECT, INSERT, UPDATE on the archive's database: no
 * DELETE, no DDL; kv_changelog's triggers refuse changing an archived row) and the auditors' reader (SELECT only).
 * Creates the database and the accounts if missing, sets their passwords (from files or the environment, never from
 * the command line),
 * and replaces whatever else they were granted. Idempotent: the dev stack runs it at every start, compose once, and
 * re-running it with a new password file is how a password is rotated.
 */
@Command(name = "archive-accounts",
    description = "Create or update the archive's writer (consumer) and auditor (SELECT-only) MySQL accounts.")
final class ArchiveAccountsCommand implements Callable<Integer> {
  /** Account names the SQL below can take without quoting trouble. */
  private static final String NAME = "[A-Za-z0-9_]{1,32}";
  private static final String HOST = "[A-Za-z0-9_.%:-]{1,255}";

  @Spec
  CommandSpec spec;

  @Mixin
  MysqlOptions mysql;

  @Option(names = "--writer-user", defaultValue = "kvpipe_writer",
      description = "the consumer's account (default ${DEFAULT-VALUE})")
  String writerUser;

  @Option(names = "--writer-password-file", paramLabel = "FILE",
      description = "file holding the writer's password (first line); without it: env KVPIPE_ARCHIVE_WRITER_PASSWORD")
  Path writerPasswordFile;

  @Option(names = "--auditor-user", defaultValue = "kvpipe_auditor",
      description = "the auditors' and kvctl sql's account (default ${DEFAULT-VALUE})")
  String auditorUser;

  @Option(names = "--auditor-password-file", paramLabel = "FILE",
      description = "file holding the auditor's password (first line); without it: env KVPIPE_ARCHIVE_AUDITOR_PASSWORD")
  Path auditorPasswordFile;

  @Option(names = "--account-host", defaultValue = "%",
      description = "host part of both accounts, e.g. 127.0.0.1 or 10.0.%% (default: %%, anywhere)")
  String accountHost;

  @Override
  public Integer call() {
    List<String> statements = statements(mysql.database(), writerUser,
        password(writerPasswordFile, "KVPIPE_ARCHIVE_WRITER_PASSWORD"), auditorUser,
        password(auditorPasswordFile, "KVPIPE_ARCHIVE_AUDITOR_PASSWORD"), accountHost);
    String url = mysql.serverJdbcUrl();
    try (Connection c = mysql.connect(url);
         Statement st = c.createStatement()) {
      for (String s : statements) {
        st.execute(s);
      }
    } catch (SQLException e) {
      // The message names the statement's kind only: the statements carry passwords.
      throw new KvctlException(ExitCodes.SERVER_ERROR, "setting up the archive accounts on " + url + " as "
          + mysql.user() + " failed (it needs CREATE USER and GRANT OPTION): " + e.getMessage(), e);
    }
    spec.commandLine().getOut().printf("archive accounts ready on %s: writer %s@'%s' (SELECT, INSERT, UPDATE),"
        + " auditor %s@'%s' (SELECT)%n", mysql.database(), writerUser, accountHost, auditorUser, accountHost);
    spec.commandLine().getOut().flush();
    return ExitCodes.OK;
  }

  /** The SQL, in order; runs unchanged on MySQL 8 and MariaDB 10.11. */
  static List<String> statements(String database, String writer, String writerPassword, String auditor,
                                 String auditorPassword, String host) {
    require(writer.matches(NAME) && auditor.matches(NAME), "account names must be " + NAME);
    require(!writer.equals(auditor), "the writer and the auditor must be two accounts");
    require(host.matches(HOST), "--account-host must be " + HOST);
    require(database.matches("[A-Za-z0-9_$]{1,64}"), "the database name must be [A-Za-z0-9_$]{1,64}");
    String w = "'" + writer + "'@'" + host + "'";
    String a = "'" + auditor + "'@'" + host + "'";
    List<String> out = new ArrayList<>();
    out.add("CREATE DATABASE IF NOT EXISTS `" + database + "` CHARACTER SET utf8mb4");
    for (String[] account : new String[][] {{w, writerPassword}, {a, auditorPassword}}) {
      out.add("CREATE USER IF NOT EXISTS " + account[0] + " IDENTIFIED BY '" + account[1] + "'");
      out.add("ALTER USER " + account[0] + " IDENTIFIED BY '" + account[1] + "'");
      out.add("REVOKE ALL PRIVILEGES, GRANT OPTION FROM " + account[0]);
    }
    out.add("GRANT SELECT, INSERT, UPDATE ON `" + database + "`.* TO " + w);
    out.add("GRANT SELECT ON `" + database + "`.* TO " + a);
    return out;
  }

  /**
   * A password from the first line of {@code file}, else from the variable {@code env}: 12+ printable characters, no
   * quote or backslash (it goes into SQL).
   */
  static String password(Path file, String env) {
    String p;
    String source;
    if (file != null) {
      source = file.toString();
      try {
        p = Files.readAllLines(file).stream().findFirst().orElse("").strip();
      } catch (IOException e) {
        throw new KvctlException(ExitCodes.USAGE, "cannot read password file " + file + ": " + e, e);
      }
    } else {
      source = env;
      p = System.getenv(env);
      require(p != null, "give the password in a file (--" + (env.contains("WRITER") ? "writer" : "auditor")
          + "-password-file) or in " + env);
      p = p.strip();
    }
    require(p.length() >= 12 && p.chars().allMatch(ch -> ch > ' ' && ch < 127 && ch != '\'' && ch != '\\'),
        "the password in " + source + " must have 12+ printable characters without quotes or backslashes");
    return p;
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new KvctlException(ExitCodes.USAGE, message);
    }
  }
}
