package io.kvpipe.proxy;

import io.kvpipe.proxy.http.TokenSet;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Where the proxy's bearer tokens come from: each role (data, admin) takes any number of tokens, given inline
 * ({@code KVPIPE_TOKEN}, comma-separated) and/or in a file (one per line, {@code #} comments), so a new
 * token can be added beside the old one and the old one removed later: rotation without downtime. Files are re-read
 * when they change ({@link io.kvpipe.proxy.http.TokenFiles}). Never prints a token, only how many there are.
 *
 * @param dataTokens          inline data tokens
 * @param adminTokens         inline admin tokens
 * @param dataTokenFile       file of data tokens, if any
 * @param adminTokenFile      file of admin tokens, if any
 * @param onCommandLine       true when a token was given as a flag (visible to anyone who can list processes)
 */
public record TokenConfig(List<String> dataTokens, List<String> adminTokens, Optional<Path> dataTokenFile,
                          Optional<Path> adminTokenFile, boolean onCommandLine) {
  /** Shortest token accepted: a guessable token is no credential. */
  public static final int MIN_LENGTH = 8;

  public TokenConfig {
    dataTokens = List.copyOf(dataTokens);
    adminTokens = List.copyOf(adminTokens);
    Objects.requireNonNull(dataTokenFile, "dataTokenFile");
    Objects.requireNonNull(adminTokenFile, "adminTokenFile");
    load(dataTokens, adminTokens, dataTokenFile, adminTokenFile); // fails now, at start, not on the first request
  }

  /** Inline tokens from a comma-separated value (blank: none). */
  public static List<String> split(String value) {
    if (value == null || value.isBlank()) {
      return List.of();
    }
    return Arrays.stream(value.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
  }

  /** The tokens in force now: inline plus the files' current contents, checked. */
  public TokenSet load() {
    return load(dataTokens, adminTokens, dataTokenFile, adminTokenFile);
  }

  private static TokenSet load(List<String> dataTokens, List<String> adminTokens, Optional<Path> dataTokenFile,
                               Optional<Path> adminTokenFile) {
    List<String> data = new ArrayList<>(dataTokens);
    dataTokenFile.ifPresent(f -> data.addAll(readFile(f)));
    List<String> admin = new ArrayList<>(adminTokens);
    adminTokenFile.ifPresent(f -> admin.addAll(readFile(f)));
    if (data.isEmpty() || admin.isEmpty()) {
      throw new IllegalArgumentException("a data token and an admin token are required: set KVPIPE_TOKEN"
          + " and KVPIPE_ADMIN_TOKEN, or --data-token-file and --admin-token-file");
    }
    for (String t : data) {
      check(t, "data");
    }
    for (String t : admin) {
      check(t, "admin");
      if (data.contains(t)) {
        throw new IllegalArgumentException("the data token and the admin token must differ (one token is both)");
      }
    }
    return TokenSet.of(data, admin);
  }

  private static void check(String token, String role) {
    if (token.length() < MIN_LENGTH) {
      throw new IllegalArgumentException("every " + role + " token must have at least " + MIN_LENGTH
          + " characters");
    }
    if (token.chars().anyMatch(c -> c <= ' ' || c == ',' || c == 127)) {
      throw new IllegalArgumentException("a " + role + " token must not contain spaces, commas or control characters");
    }
  }

  static List<String> readFile(Path file) {
    try {
      return Files.readAllLines(file).stream().map(String::strip)
          .filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read token file " + file + ": " + e, e);
    }
  }

  /** For the start-up printout: how many tokens of a role and from where, never the tokens. */
  String describe(String role) {
    List<String> inline = role.equals("data") ? dataTokens : adminTokens;
    Optional<Path> file = role.equals("data") ? dataTokenFile : adminTokenFile;
    String count;
    try {
      TokenSet now = load();
      count = (role.equals("data") ? now.dataCount() : now.adminCount()) + " token(s): ";
    } catch (IllegalArgumentException e) {
      // A token file broken while the proxy runs: the tokens last read stay in force (TokenFiles).
      count = "token file unusable now (" + e.getMessage() + "), the tokens last read are in force: ";
    }
    return count + inline.size() + " inline" + file.map(f -> ", file " + f).orElse("")
        + (onCommandLine ? " (WARNING: given on the command line, visible in ps)" : "");
  }

  @Override
  public String toString() {
    return "TokenConfig{data=" + describe("data") + ", admin=" + describe("admin") + "}";
  }
}
