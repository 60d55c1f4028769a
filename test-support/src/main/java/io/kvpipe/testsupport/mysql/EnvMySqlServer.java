package io.kvpipe.testsupport.mysql;

/**
 * A server given by the environment: {@code KVPIPE_TEST_JDBC_URL} (any database in it is ignored; the user must be
 * allowed to create and drop databases), {@code KVPIPE_TEST_JDBC_USER} (default root), {@code KVPIPE_TEST_JDBC_PASSWORD}
 * (default empty).
 */
final class EnvMySqlServer implements MySqlServer {
  static final String URL_ENV = "KVPIPE_TEST_JDBC_URL";
  static final String USER_ENV = "KVPIPE_TEST_JDBC_USER";
  static final String PASSWORD_ENV = "KVPIPE_TEST_JDBC_PASSWORD";

  private final String url;
  private final String user;
  private final String password;

  EnvMySqlServer(String url, String user, String password) {
    this.url = JdbcUrls.withDatabase(url, "");
    this.user = user;
    this.password = password;
  }

  @Override
  public String description() {
    return "env " + URL_ENV + "=" + url;
  }

  @Override
  public String serverJdbcUrl() {
    return url;
  }

  @Override
  public String jdbcUrl(String database) {
    return JdbcUrls.withDatabase(url, database);
  }

  @Override
  public String user() {
    return user;
  }

  @Override
  public String password() {
    return password;
  }
}
