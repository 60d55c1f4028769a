package io.kvpipe.kvctl;

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
