package io.kvpipe.common.error;

/**
 * The small, closed set of errors kvpipe reports. Each maps to one HTTP status and one metric tag, and says whether a
 * caller may retry the same request unchanged (the proxy does so transparently for retriable codes) - unless the
 * failure is an {@link OutcomeUnknownException}: then the write may have been applied, and only an idempotent one may
 * be repeated without reading first.
 */
public enum ErrorCode {
  INVALID_KEY(400, false),
  MALFORMED_REQUEST(400, false),
  UNAUTHORIZED(401, false),
  FORBIDDEN(403, false),
  NOT_FOUND(404, false),
  UNKNOWN_GROUP(404, false),
  METHOD_NOT_ALLOWED(405, false),
  /** A transaction names keys of more than one shard group (hash tags keep related keys in one). */
  CROSS_GROUP(400, false),
  CONFLICT(409, false),
  VERSION_MISMATCH(412, false),
  VALUE_TOO_LARGE(413, false),
  /** A watch asked to resume from a position the change topic no longer holds (retention deleted it). */
  POSITION_EXPIRED(410, false),
  /** The group does not own the key at its epoch: refresh the topology and route again. */
  WRONG_GROUP(421, true),
  NO_LEADER(503, true),
  CDC_BACKLOG_FULL(503, true),
  UNAVAILABLE(503, true),
  /**
   * No answer in time. For a write always an unknown outcome ({@link OutcomeUnknownException}): it may have been
   * logged before the deadline passed. A group answers TIMEOUT itself only for a resend of a call it applied before a
   * restart, whose first reply is lost: unknown too, and rebuilt as such from the wire.
   */
  TIMEOUT(504, true),
  INTERNAL(500, false);

  private final int httpStatus;
  private final boolean retriable;

  ErrorCode(int httpStatus, boolean retriable) {
    this.httpStatus = httpStatus;
    this.retriable = retriable;
  }

  public int httpStatus() {
    return httpStatus;
  }

  public boolean retriable() {
    return retriable;
  }
}
