package io.kvpipe.kvctl;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.testsupport.Ports;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Bad arguments: a clear message on stderr, exit code 2, and no request sent (none could succeed: no proxy runs). */
class KvctlArgumentsTest {
  private static final String T = "--token=data-token-1";

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "bogus                                                     | Unmatched argument at index 0: 'bogus'",
      "groups --bogus " + T + "                                  | Unknown option: '--bogus'",
      "status --node-url ftp://x " + T + "                       | --node-url must be an http(s) URL",
      "status --consumer-url 127.0.0.1:9404 " + T + "            | --consumer-url must be an http(s) URL",
      "groups add g3                                             | Missing required option: '--peer=ID@HOST:PORT'",
      "groups add bad/id --peer n1@h:1 " + T + "                 | invalid group id 'bad/id'",
      "groups add g3 --peer nohost " + T + "                     | peer must be id@host:port",
      "peers add g1 " + T + "                                    | Missing required parameter: 'ID@HOST:PORT'",
      "peers remove g1 n!1 " + T + "                           | invalid node id",
      "verify-archive --source bogus                             | Invalid value for option '--source'",
      "verify-archive --wait-s -1 " + T + "                      | --wait-s must be >= 0",
      "verify-archive --mysql-port 70000 " + T + "               | must be within 1..65535",
      "migrations watch --interval-ms 1 " + T + "                | --interval-ms must be >= 50",
      "migrations                                                | a subcommand is required: list, watch",
      "migrations throttle m1 " + T + "                          | give --keys-per-second and/or --batch-size",
      "migrations throttle m1 --batch-size 0 " + T + "           | --batch-size within 1..10000",
      "migrations cancel " + T + "                               | Missing required parameter: 'ID'",
      "groups add g3 --peer n1@h:1 --batch-size 20000 " + T + "  | --batch-size within 1..10000",
      "status --proxy ftp://x " + T + "                          | --proxy must be an http(s) URL",
      "status --timeout-ms soon " + T + "                        | Invalid value for option '--timeout-ms'",
      "status --bogus " + T + "                                  | Unknown option: '--bogus'",
      "topology extra " + T + "                                  | Unmatched argument at index 1: 'extra'",
      "watch " + T + "                                           | Missing required parameter: 'PREFIX'",
      "watch user: --count -1 " + T + "                          | --count must be >= 0",
  })
  void badArgumentsAreRefusedClearly(String args, String message) {
    KvctlRun r = KvctlRun.of(args.trim().split("\\s+"));
    assertThat(r.exitCode()).as(r.err()).isEqualTo(ExitCodes.USAGE);
    assertThat(r.err()).contains(message);
    assertThat(r.out()).isEmpty();
  }

  @Test
  void optionsAreReadFromAnArgumentFile(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    java.nio.file.Path file = dir.resolve("kvctl.args");
    java.nio.file.Files.writeString(file, "# the cluster this shell talks to\n--proxy ftp://x\n" + T + "\n");
    KvctlRun r = KvctlRun.of("status", "@" + file);
    assertThat(r.exitCode()).as(r.err()).isEqualTo(ExitCodes.USAGE);
    assertThat(r.err()).as("the file's --proxy was read").contains("--proxy must be an http(s) URL");
  }

  @Test
  void noCommandIsAUsageError() {
    KvctlRun r = KvctlRun.of();
    assertThat(r.exitCode()).isEqualTo(ExitCodes.USAGE);
    assertThat(r.err()).contains("a command is required").contains("Usage: kvctl");
  }

  @Test
  void adminCommandsWithoutTheAdminTokenSayWhichIsMissing() {
    KvctlRun r = KvctlRun.of("groups", "remove", "g2", "--proxy", "http://127.0.0.1:1", "--admin-token=");
    assertThat(r.exitCode()).isEqualTo(ExitCodes.USAGE);
    assertThat(r.err()).contains("needs the admin token").contains("KVPIPE_ADMIN_TOKEN");
  }

  @Test
  void anUnreachableProxyIsAServerErrorNamingTheUrl() {
    int port = Ports.freePort();
    KvctlRun r = KvctlRun.of("status", "--proxy", "http://127.0.0.1:" + port, T, "--timeout-ms", "2000");
    assertThat(r.exitCode()).isEqualTo(ExitCodes.SERVER_ERROR);
    assertThat(r.err()).contains("cannot reach the proxy at http://127.0.0.1:" + port);
  }

  @Test
  void aWatchWhoseProxyIsUnreachableEndsAsAServerError() {
    int port = Ports.freePort();
    KvctlRun r = KvctlRun.of("watch", "user:", "--proxy", "http://127.0.0.1:" + port, T, "--timeout-ms", "2000");
    assertThat(r.exitCode()).isEqualTo(ExitCodes.SERVER_ERROR);
    assertThat(r.err()).contains("cannot reach the proxy at http://127.0.0.1:" + port);
  }

  @Test
  void helpListsEveryCommandAndTheExitCodes() {
    KvctlRun r = KvctlRun.of("--help");
    assertThat(r.exitCode()).isZero();
    assertThat(r.out()).contains("status", "topology", "nodes", "groups", "peers", "migrations", "snapshot-to-kafka",
        "verify-archive", "sql", "watch", "Exit codes");
  }
}
