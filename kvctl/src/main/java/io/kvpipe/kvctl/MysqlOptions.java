package io.kvpipe.kvctl;

import io.kvpipe.common.config.ClientProperties;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;
import java.util.Set;
import picocli.CommandLine.Option;

/**
 * Where the archive is and whom to connect as. The account and its driver properties have the consumer's variables
 * ({@code KVPIPE_JDBC_USER}, {@code KVPIPE_JDBC_PASSWORD}, {@code KVPIPE_JDBC_PROPERTIES}); kvctl's old
 * {@code KVPIPE_MYSQL_USER}, {@code KVPIPE_MYSQL_PASSWORD}, {@code KVPIPE_MYSQL_PROPERTIES} still work when those are
 * unset, with a warning. The user has no default: root was the default, so kvctl ran with every privilege unless
 * someone noticed.
 */
public final class MysqlOptions {
  /** The variables the options fall back on; tests replace it. */
  java.util.function.Function<String, String> env = System::getenv;

  @picocli.CommandLine.Spec(picocli.CommandLine.Spec.Target.MIXEE)
  picocli.CommandLine.Model.CommandSpec mixee;

  @Option(names = "--mysql-host", defaultValue = "${env:KVPIPE_MYSQL_HOST:-127.0.0.1}",
      description = "archive MySQL host (env KVPIPE_MYSQL_HOST; default ${DEFAULT-VALUE})")
  String host;

  @Option(names = "--mysql-port", defaultValue = "${env:KVPIPE_MYSQL_PORT:-3306}",
      description = "archive MySQL port (env KVPIPE_MYSQL_PORT; default ${DEFAULT-VALUE})")
  int port;

  @Option(names = "--mysql-database", defaultValue = "${env:KVPIPE_MYSQL_DATABASE:-kvpipe}",
      description = "archive database (env KVPIPE_MYSQL_DATABASE; default ${DEFAULT-VALUE})")
  String database;

  @Option(names = "--mysql-user",
      description = "MySQL user, required (env KVPIPE_JDBC_USER, as the consumer's; KVPIPE_MYSQL_USER deprecated)")
  String user;

  @Option(names = "--mysql-password",
      description = "MySQL password (env KVPIPE_JDBC_PASSWORD; KVPIPE_MYSQL_PASSWORD deprecated; default empty)")
  String password;

  /** The user: the flag, else KVPIPE_JDBC_USER, else the deprecated KVPIPE_MYSQL_USER; none is a usage error. */
  String user() {
    String u = resolve(user, "KVPIPE_JDBC_USER", "KVPIPE_MYSQL_USER", false);
    if (u == null) {
      throw new KvctlException(ExitCodes.USAGE, "--mysql-user is required (or KVPIPE_JDBC_USER): kvctl has no"
          + " default account; use the auditor account for reads, an administrator for archive-accounts");
    }
    return u;
  }

  String password() {
    // Set but empty is a password (root of a throwaway server has none), not a reason to send the old variable's.
    String p = resolve(password, "KVPIPE_JDBC_PASSWORD", "KVPIPE_MYSQL_PASSWORD", true);
    return p == null ? "" : p;
  }

  private String resolve(String flagValue, String variable, String deprecated, boolean emptyIsAValue) {
    if (flagValue != null) {
      return flagValue;
    }
    String v = env.apply(variable);
    if (v != null && (emptyIsAValue || !v.isBlank())) {
      return v;
    }
    v = env.apply(deprecated);
    if (v != null && !v.isBlank()) {
      warn("environment variable " + deprecated + " is deprecated: use " + variable);
      return v;
    }
    return null;
  }

  private final java.util.Set<String> warned = new java.util.HashSet<>();

  private void warn(String message) {
    if (!warned.add(message)) {
      return;
    }
    java.io.PrintWriter err = mixee == null ? new java.io.PrintWriter(System.err, true) : mixee.commandLine().getErr();
    err.println("kvctl: warning: " + message);
    err.flush();
  }

  /** The server, without a default database (for creating it). */
  String serverJdbcUrl() {
    String url = jdbcUrl();
    return url.replace("/" + database + "?", "/?");
  }

  String database() {
    return database;
  }

  @Option(names = "--mysql-properties", paramLabel = "FILE",
      description = "file of extra MySQL driver properties, e.g. sslMode=VERIFY_IDENTITY and a trust store"
          + " (env KVPIPE_JDBC_PROPERTIES; KVPIPE_MYSQL_PROPERTIES deprecated)")
  String propertiesFile;

  /** Connects to {@code url} as the user, with the driver properties of --mysql-properties. */
  Connection connect(String url) throws SQLException {
    ClientProperties extra;
    try {
      String file = resolve(propertiesFile, "KVPIPE_JDBC_PROPERTIES", "KVPIPE_MYSQL_PROPERTIES", false);
      extra = ClientProperties.load(file == null ? "" : file, "mysql-properties")
          .refuse(null, Set.of("user", "password"), "use --mysql-user and --mysql-password");
    } catch (IllegalArgumentException e) {
      throw new KvctlException(ExitCodes.USAGE, e.getMessage(), e);
    }
    Properties p = new Properties();
    p.putAll(extra.all());
    p.setProperty("user", user());
    p.setProperty("password", password());
    return DriverManager.getConnection(url, p);
  }

  String jdbcUrl() {
    if (port < 1 || port > 65535) {
      throw new KvctlException(ExitCodes.USAGE, "--mysql-port must be within 1..65535");
    }
    if (!database.matches("[A-Za-z0-9_$]{1,64}")) {
      throw new KvctlException(ExitCodes.USAGE, "--mysql-database must be a plain database name, got '"
          + database + "'");
    }
    return "jdbc:mysql://" + host + ":" + port + "/" + database + "?connectTimeout=5000&socketTimeout=60000";
  }
}
