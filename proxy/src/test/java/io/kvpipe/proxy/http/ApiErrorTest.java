package io.kvpipe.proxy.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.error.OutcomeUnknownException;
import org.junit.jupiter.api.Test;

class ApiErrorTest {
  @Test
  void everyCodeMapsToADocumentedStatus() {
    assertThat(ApiError.status(ErrorCode.INVALID_KEY)).isEqualTo(400);
    assertThat(ApiError.status(ErrorCode.MALFORMED_REQUEST)).isEqualTo(400);
    assertThat(ApiError.status(ErrorCode.UNAUTHORIZED)).isEqualTo(401);
    assertThat(ApiError.status(ErrorCode.FORBIDDEN)).isEqualTo(403);
    assertThat(ApiError.status(ErrorCode.NOT_FOUND)).isEqualTo(404);
    assertThat(ApiError.status(ErrorCode.METHOD_NOT_ALLOWED)).isEqualTo(405);
    assertThat(ApiError.status(ErrorCode.CONFLICT)).isEqualTo(409);
    assertThat(ApiError.status(ErrorCode.VERSION_MISMATCH)).isEqualTo(412);
    assertThat(ApiError.status(ErrorCode.VALUE_TOO_LARGE)).isEqualTo(413);
    assertThat(ApiError.status(ErrorCode.NO_LEADER)).isEqualTo(503);
    assertThat(ApiError.status(ErrorCode.CDC_BACKLOG_FULL)).isEqualTo(503);
    assertThat(ApiError.status(ErrorCode.WRONG_GROUP)).as("never leaks the internal 421").isEqualTo(503);
    assertThat(ApiError.status(ErrorCode.TIMEOUT)).isEqualTo(504);
    for (ErrorCode c : ErrorCode.values()) {
      assertThat(ApiError.retryAfterSeconds(c) > 0).as(c.name()).isEqualTo(ApiError.status(c) == 503);
    }
  }

  @Test
  void bodyIsValidJsonEvenForHostileMessages() throws Exception {
    String msg = "quote \" backslash \\ newline \n tab \t ctl \u0001 emoji \uD83D\uDE00 lone \uD800";
    JsonNode n = new ObjectMapper().readTree(ApiError.body(new KvException(ErrorCode.INVALID_KEY, msg)));
    assertThat(n.get("error").asText()).isEqualTo("INVALID_KEY");
    assertThat(n.get("message").asText()).startsWith("quote \" backslash \\ newline \n tab \t ctl \u0001 emoji");
  }

  /** Review finding 5: the flag is a field of its own, only on an unknown outcome; a refusal's body is as before. */
  @Test
  void anUnknownOutcomeIsAFieldOfItsOwn() throws Exception {
    ObjectMapper json = new ObjectMapper();
    JsonNode unknown = json.readTree(ApiError.body(new OutcomeUnknownException(ErrorCode.TIMEOUT, "no answer \"yet\"")));
    assertThat(unknown.get("error").asText()).isEqualTo("TIMEOUT");
    assertThat(unknown.get("message").asText()).isEqualTo("no answer \"yet\"");
    assertThat(unknown.get("outcome").asText()).isEqualTo("unknown");
    assertThat(new String(ApiError.body(new KvException(ErrorCode.UNAVAILABLE, "no topology loaded yet")),
        java.nio.charset.StandardCharsets.UTF_8))
        .isEqualTo("{\"error\":\"UNAVAILABLE\",\"message\":\"no topology loaded yet\"}");
  }
}
