package io.kvpipe.kvctl;

import io.kvpipe.common.config.ClientProperties;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;
import java.util.Set;
import picocli.CommandLine.Option;

/** Where the archive is: the same KVPIPE_MYSQL_* variables scripts/dev-stack.sh writes to .devstack/env. */
public final class MysqlOptions {
  @Option(names = "--mysql-host", defaultValue = "${env:KVPIPE_MYSQL_HOST:-127.0.0.1}",
      description = "archive MySQL host (env KVPIPE_MYSQL_HOST; default ${DEFAULT-VALUE})")
  String host;

  @Option(names = "--mysql-port", defaultValue = "${env:KVPIPE_MYSQL_PORT:-3306}",
      description = "archive MySQL port (env KVPIPE_MYSQL_PORT; default ${DEFAULT-VALUE})")
  int port;

  @Option(names = "--mysql-database", defaultValue = "${env:KVPIPE_MYSQL_DATABASE:-kvpipe}",
      description = "archive database (env KVPIPE_MYSQL_DATABASE; default ${DEFAULT-VALUE})")
  String database;

  @Option(names = "--mysql-user", defaultValue = "${env:KVPIPE_MYSQL_USER:-root}",
      description = "MySQL user (env KVPIPE_MYSQL_USER; default ${DEFAULT-VALUE})")
  String user;

  @Option(names = "--mysql-password", defaultValue = "${env:KVPIPE_MYSQL_PASSWORD:-}",
      description = "MySQL password (env KVPIPE_MYSQL_PASSWORD; default empty)")
  String password;

  /** The server, without a default database (for creating it). */
  String serverJdbcUrl() {
    String url = jdbcUrl();
    return url.replace("/" + database + "?", "/?");
  }

  String database() {
    return database;
  }

  @Option(names = "--mysql-properties", paramLabel = "FILE", defaultValue = "${env:KVPIPE_MYSQL_PROPERTIES:-}",
      description = "file of extra MySQL driver properties, e.g. sslMode=VERIFY_IDENTITY and a trust store"
          + " (env KVPIPE_MYSQL_PROPERTIES)")
  String propertiesFile;

  /** Connects to {@code url} as the user, with the driver properties of --mysql-properties. */
  Connection connect(String url) throws SQLException {
    ClientProperties extra;
    try {
      extra = ClientProperties.load(propertiesFile, "mysql-properties")
          .refuse(null, Set.of("user", "password"), "use --mysql-user and --mysql-password");
    } catch (IllegalArgumentException e) {
      throw new KvctlException(ExitCodes.USAGE, e.getMessage(), e);
    }
    Properties p = new Properties();
    p.putAll(extra.all());
    p.setProperty("user", user);
    p.setProperty("password", password == null ? "" : password);
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
