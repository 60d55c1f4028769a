package io.kvpipe.kvctl;

/** A failure kvctl reports as one clear line on stderr, exiting with {@link #exitCode()}. */
public class KvctlException extends RuntimeException {
  private final int exitCode;

  public KvctlException(int exitCode, String message) {
    super(message);
    this.exitCode = exitCode;
  }

  public KvctlException(int exitCode, String message, Throwable cause) {
    super(message, cause);
    this.exitCode = exitCode;
  }

  public int exitCode() {
    return exitCode;
  }
}
