package io.kvpipe.kvctl;

/** kvctl's exit codes (also listed in kvctl/README.md). */
public final class ExitCodes {
  /** Done; for checks (status, nodes, verify-archive): everything is fine. */
  public static final int OK = 0;
  /** The command ran and found a problem: differences in the archive, nodes down, readiness problems. */
  public static final int FOUND_PROBLEMS = 1;
  /** Bad arguments (picocli's usage error code). */
  public static final int USAGE = 2;
  /** The proxy or MySQL could not be reached, refused the request, or lacks the endpoint. */
  public static final int SERVER_ERROR = 3;

  private ExitCodes() {}
}
