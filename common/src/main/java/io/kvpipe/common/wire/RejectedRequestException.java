package io.kvpipe.common.wire;

import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.error.OutcomeUnknownException;

/**
 * Carries a {@link KvException} across a transport that rebuilds remote exceptions from (class name, message): the
 * message is "CODE: text", and {@link #toKvException()} parses it back. Ratis does this for errors raised while a
 * shard leader validates a write, so the client gets the same error code the server chose.
 */
public class RejectedRequestException extends Exception {
  private static final long serialVersionUID = 1L;

  /** Rebuilds from an encoded message; the one-String constructor is what the transport calls by reflection. */
  public RejectedRequestException(String encoded) {
    super(encoded);
  }

  public static RejectedRequestException of(KvException e) {
    return new RejectedRequestException(e.code().name() + ": " + e.getMessage());
  }

  /**
   * The refusal, with this exception as its cause: proof that the request was refused before it was logged, except a
   * TIMEOUT, which says that this call was logged before and its outcome is unknown (see {@link ErrorCode#TIMEOUT}).
   */
  public KvException toKvException() {
    KvException parsed = parse(getMessage());
    return parsed.code() == ErrorCode.TIMEOUT ? new OutcomeUnknownException(parsed.code(), parsed.getMessage(), this)
        : new KvException(parsed.code(), parsed.getMessage(), this);
  }

  /** Parses "CODE: text"; anything else becomes an INTERNAL error keeping the text. */
  public static KvException parse(String encoded) {
    String text = encoded == null ? "" : encoded;
    int colon = text.indexOf(": ");
    if (colon > 0) {
      try {
        return new KvException(ErrorCode.valueOf(text.substring(0, colon)), text.substring(colon + 2));
      } catch (IllegalArgumentException notACode) {
        // Falls through: the text did not come from of(); report it whole.
      }
    }
    return new KvException(ErrorCode.INTERNAL, text);
  }
}
