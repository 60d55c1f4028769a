package io.kvpipe.common.topology;

import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.error.OutcomeUnknownException;

/**
 * The meta group's answer to a {@link MetaCommand}: applied or refused (with an {@link ErrorCode} name), whether it
 * changed anything, and the topology version after it.
 */
public record MetaReply(boolean ok, boolean changed, long version, String error, String message) {
  public static MetaReply applied(boolean changed, long version) {
    return new MetaReply(true, changed, version, null, null);
  }

  public static MetaReply refused(ErrorCode code, String message, long version) {
    return new MetaReply(false, false, version, code.name(), message);
  }

  /**
   * Returns this reply if it is ok, else throws the refusal as a {@link KvException}: a TIMEOUT (the meta group's
   * answer to a duplicate of a command it applied before, see {@link ErrorCode#TIMEOUT}) as an
   * {@link OutcomeUnknownException}, since the command may well have been applied.
   */
  public MetaReply orThrow() {
    if (ok) {
      return this;
    }
    ErrorCode code;
    try {
      code = ErrorCode.valueOf(error);
    } catch (IllegalArgumentException | NullPointerException e) {
      code = ErrorCode.INTERNAL;
    }
    String text = message == null ? "refused by the meta group" : message;
    throw code == ErrorCode.TIMEOUT ? new OutcomeUnknownException(code, text) : new KvException(code, text);
  }
}
