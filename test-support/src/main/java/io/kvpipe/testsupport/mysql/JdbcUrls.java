package io.kvpipe.testsupport.mysql;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Rewrites the database part of a {@code jdbc:mysql://} (or {@code jdbc:mariadb://}) URL, keeping its parameters. */
final class JdbcUrls {
  private static final Pattern URL = Pattern.compile("^(jdbc:(?:mysql|mariadb)://[^/?]+)(?:/([^?]*))?(\\?.*)?$");

  private JdbcUrls() {}

  /** {@code url} with its database replaced by {@code database} (empty for none). */
  static String withDatabase(String url, String database) {
    Matcher m = URL.matcher(url);
    if (!m.matches()) {
      throw new IllegalArgumentException("not a jdbc:mysql:// or jdbc:mariadb:// URL: " + url);
    }
    String params = m.group(3) == null ? "" : m.group(3);
    return m.group(1) + "/" + database + params;
  }
}
