package io.kvpipe.common.error;

/**
 * A write that may or may not have been applied: its request was sent (or logged) and no answer proves either. Its
 * {@link ErrorCode} is the one the failure always had (TIMEOUT, UNAVAILABLE, NO_LEADER), so HTTP status and metric tag
 * do not change; the type is what says "unknown", so no caller has to parse the message. Kept apart from the code
 * because the same codes also mean "definitely not applied" (e.g. UNAVAILABLE before any topology is loaded).
 *
 * <p>{@link #retriable()} keeps the code's meaning (a new attempt may succeed), which holds for idempotent operations
 * (the migration's steps, a restore's puts). A caller of a non-idempotent write must first read what it wrote (or
 * write conditionally on a version): repeating it blindly could apply it twice.
 */
public final class OutcomeUnknownException extends KvException {
  public OutcomeUnknownException(ErrorCode code, String message) {
    super(code, message);
  }

  public OutcomeUnknownException(ErrorCode code, String message, Throwable cause) {
    super(code, message, cause);
  }

  /** {@code e} as an unknown outcome: itself if it already is one, else the same code and message, caused by it. */
  public static OutcomeUnknownException of(KvException e) {
    return e instanceof OutcomeUnknownException u ? u : new OutcomeUnknownException(e.code(), e.getMessage(), e);
  }

}
