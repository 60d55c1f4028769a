package io.kvpipe.common.error;

/**
 * The one exception type that crosses module boundaries. Its {@link ErrorCode} decides the HTTP status, the metric
 * tag and whether it is retriable; the message is for humans.
 */
public class KvException extends RuntimeException {
  private final ErrorCode code;

  public KvException(ErrorCode code, String message) {
    super(message);
    this.code = code;
  }

  public KvException(ErrorCode code, String message, Throwable cause) {
    super(message, cause);
    this.code = code;
  }

  public ErrorCode code() {
    return code;
  }

  public boolean retriable() {
    return code.retriable();
  }

  @Override
  public String toString() {
    return code + ": " + getMessage();
  }
}
