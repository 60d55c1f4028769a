package io.kvpipe.kvctl;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What {@code kvctl sql} agrees to send: reads only. A read-only session alone is not enough (a statement can end the
 * transaction, switch the session to read-write and run a prepared DELETE), so each statement is checked before it
 * runs: it must start with SELECT, WITH, SHOW, DESCRIBE/DESC, EXPLAIN or SET, a SET may only assign user variables
 * ({@code @name}), and no word outside quotes and comments may be one that writes, locks, runs other statements or
 * changes the session. Executable comments ({@code /*!...}, {@code /*M!...}) are refused outright. This is a guard
 * against mistakes and the known tricks, not the security boundary: that is the auditor account, which can only SELECT
 * (docs/security.md).
 */
final class ReadOnlySql {
  private static final Set<String> FIRST = Set.of("SELECT", "WITH", "SHOW", "DESCRIBE", "DESC", "EXPLAIN", "SET");
  private static final Set<String> REFUSED = Set.of("INSERT", "UPDATE", "DELETE", "REPLACE", "MERGE", "UPSERT",
      "CREATE", "DROP", "ALTER", "TRUNCATE", "RENAME", "GRANT", "REVOKE", "CALL", "DO", "PREPARE", "EXECUTE",
      "DEALLOCATE", "LOAD", "HANDLER", "LOCK", "UNLOCK", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "START",
      "BEGIN", "XA", "TRANSACTION", "SESSION", "GLOBAL", "PERSIST", "PERSIST_ONLY", "AUTOCOMMIT", "OUTFILE",
      "DUMPFILE", "ANALYZE", "OPTIMIZE", "REPAIR", "FLUSH", "KILL", "SHUTDOWN", "INSTALL", "UNINSTALL", "PURGE",
      "RESET", "CHANGE", "BINLOG", "CACHE", "SIGNAL", "RESIGNAL");

  private ReadOnlySql() {}

  /** @throws KvctlException (usage) naming the statement and the word that is not allowed */
  static void check(String statement) {
    Scan scan = scan(statement);
    if (scan.words.isEmpty()) {
      return;
    }
    String first = scan.words.getFirst();
    if (!FIRST.contains(first)) {
      throw refused(statement, "it starts with " + first + "; kvctl sql runs reads only (SELECT, WITH, SHOW,"
          + " DESCRIBE, EXPLAIN, SET @variable)");
    }
    for (String w : scan.words) {
      if (REFUSED.contains(w)) {
        throw refused(statement, "it contains " + w);
      }
    }
    if (first.equals("SET")) {
      for (String assignment : scan.topLevelParts) {
        String a = assignment.strip();
        if (a.regionMatches(true, 0, "SET", 0, 3)) {
          a = a.substring(3).strip();
        }
        if (!a.startsWith("@") || a.startsWith("@@")) {
          throw refused(statement, "SET may only assign user variables (@name = ...)");
        }
      }
    }
  }

  private static KvctlException refused(String statement, String why) {
    String shown = statement.length() > 80 ? statement.substring(0, 80) + "..." : statement;
    return new KvctlException(ExitCodes.USAGE, "refused '" + shown + "': " + why);
  }

  private record Scan(List<String> words, List<String> topLevelParts) {}

  /** Words (upper-cased) outside quotes and comments, and the statement split at top-level commas. */
  private static Scan scan(String s) {
    List<String> words = new ArrayList<>();
    List<String> parts = new ArrayList<>();
    StringBuilder word = new StringBuilder();
    StringBuilder part = new StringBuilder();
    int depth = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '/' && i + 1 < s.length() && s.charAt(i + 1) == '*') {
        if (i + 2 < s.length() && (s.charAt(i + 2) == '!' || s.startsWith("M!", i + 2))) {
          throw refused(s, "executable comments (/*! ... */) are not allowed");
        }
        int end = s.indexOf("*/", i + 2);
        i = end < 0 ? s.length() : end + 1;
        flush(word, words);
        continue;
      }
      if (c == '#' || c == '-' && s.startsWith("-- ", i)) {
        int end = s.indexOf('\n', i);
        i = end < 0 ? s.length() : end;
        flush(word, words);
        continue;
      }
      if (c == '\'' || c == '"' || c == '`') {
        int j = i + 1;
        while (j < s.length() && s.charAt(j) != c) {
          j += s.charAt(j) == '\\' ? 2 : 1;
        }
        part.append(s, i, Math.min(j + 1, s.length()));
        i = j;
        flush(word, words);
        continue;
      }
      if (Character.isLetterOrDigit(c) || c == '_' || c == '$') {
        word.append(c);
      } else {
        flush(word, words);
      }
      if (c == '(') {
        depth++;
      } else if (c == ')') {
        depth--;
      }
      if (c == ',' && depth == 0) {
        parts.add(part.toString());
        part.setLength(0);
      } else {
        part.append(c);
      }
    }
    flush(word, words);
    parts.add(part.toString());
    return new Scan(words, parts);
  }

  private static void flush(StringBuilder word, List<String> words) {
    if (!word.isEmpty()) {
      words.add(word.toString().toUpperCase(Locale.ROOT));
      word.setLength(0);
    }
  }
}
