package io.kvpipe.proxy.http;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import org.junit.jupiter.api.Test;

class TokenAuthTest {
  private final TokenAuth auth = new TokenAuth("data-secret", "admin-secret");

  @Test
  void matrix() {
    assertThatCode(() -> auth.check(Access.OPEN, null)).doesNotThrowAnyException();
    assertThatCode(() -> auth.check(Access.DATA, "Bearer data-secret")).doesNotThrowAnyException();
    assertThatCode(() -> auth.check(Access.DATA, "bearer admin-secret")).doesNotThrowAnyException();
    assertThatCode(() -> auth.check(Access.ADMIN, "Bearer admin-secret")).doesNotThrowAnyException();
    expect(Access.DATA, null, ErrorCode.UNAUTHORIZED);
    expect(Access.DATA, "", ErrorCode.UNAUTHORIZED);
    expect(Access.DATA, "Basic ZGF0YQ==", ErrorCode.UNAUTHORIZED);
    expect(Access.DATA, "Bearer data-secreT", ErrorCode.UNAUTHORIZED);
    expect(Access.DATA, "Bearer data-secret-longer", ErrorCode.UNAUTHORIZED);
    expect(Access.DATA, "Bearer ", ErrorCode.UNAUTHORIZED);
    expect(Access.ADMIN, "Bearer data-secret", ErrorCode.FORBIDDEN);
    expect(Access.ADMIN, "Bearer wrong", ErrorCode.UNAUTHORIZED);
    expect(Access.ADMIN, null, ErrorCode.UNAUTHORIZED);
  }

  @Test
  void severalTokensPerRoleSoTheyCanRotate() {
    TokenAuth two = new TokenAuth(() -> TokenSet.of(java.util.List.of("data-old-1", "data-new-1"),
        java.util.List.of("admin-old-1", "admin-new-1")));
    for (String t : java.util.List.of("data-old-1", "data-new-1", "admin-old-1", "admin-new-1")) {
      assertThatCode(() -> two.check(Access.DATA, "Bearer " + t)).as(t).doesNotThrowAnyException();
    }
    assertThatCode(() -> two.check(Access.ADMIN, "Bearer admin-new-1")).doesNotThrowAnyException();
    assertThatThrownBy(() -> two.check(Access.ADMIN, "Bearer data-new-1")).isInstanceOf(KvException.class)
        .hasMessageContaining("admin token");
    assertThatThrownBy(() -> two.check(Access.DATA, "Bearer data-old-2")).hasMessage("invalid token");
  }

  private void expect(Access access, String header, ErrorCode code) {
    assertThatThrownBy(() -> auth.check(access, header)).as(access + " with " + header)
        .isInstanceOfSatisfying(KvException.class, e -> org.assertj.core.api.Assertions.assertThat(e.code())
            .isEqualTo(code));
  }
}
