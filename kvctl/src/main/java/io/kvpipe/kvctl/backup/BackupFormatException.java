package io.kvpipe.kvctl.backup;

/** A backup directory or file that cannot be used as it is: missing, truncated, corrupt, or of another format. */
public final class BackupFormatException extends Exception {
  public BackupFormatException(String message) {
    super(message);
  }

  public BackupFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}
