package io.kvpipe.proxy.http;

import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.error.OutcomeUnknownException;
import java.nio.charset.StandardCharsets;

/**
 * The HTTP form of an error: {@code {"error": CODE, "message": "..."}} with the code's status. A WRONG_GROUP that
 * survives the proxy's retries surfaces as 503 (the client may retry), never as the internal 421. A write whose
 * outcome is unknown ({@link OutcomeUnknownException}) adds {@code "outcome":"unknown"} and gets no Retry-After: its
 * codes (503, 504) also mean a definite refusal, and a caller resending it blindly could apply it twice.
 */
public final class ApiError {
  private ApiError() {}

  public static int status(ErrorCode code) {
    return code == ErrorCode.WRONG_GROUP ? 503 : code.httpStatus();
  }

  /** Seconds a client should wait before retrying, or -1 when the error is not worth retrying unchanged. */
  public static int retryAfterSeconds(ErrorCode code) {
    return status(code) == 503 ? 1 : -1;
  }

  /** As {@link #retryAfterSeconds(ErrorCode)}, but -1 for an unknown outcome: the caller must read before resending. */
  public static int retryAfterSeconds(KvException e) {
    return e instanceof OutcomeUnknownException ? -1 : retryAfterSeconds(e.code());
  }

  public static byte[] body(KvException e) {
    return body(e.code().name(), e.getMessage(), e instanceof OutcomeUnknownException);
  }

  public static byte[] body(String code, String message) {
    return body(code, message, false);
  }

  private static byte[] body(String code, String message, boolean outcomeUnknown) {
    StringBuilder sb = new StringBuilder(64 + (message == null ? 0 : message.length()));
    sb.append("{\"error\":\"").append(code).append("\",\"message\":");
    appendJsonString(sb, message == null ? "" : message);
    if (outcomeUnknown) {
      sb.append(",\"outcome\":\"unknown\"");
    }
    sb.append('}');
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  static void appendJsonString(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20 || Character.isSurrogate(c)) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    sb.append('"');
  }
}
