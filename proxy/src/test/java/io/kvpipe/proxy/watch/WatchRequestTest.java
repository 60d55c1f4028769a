package io.kvpipe.proxy.watch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvpipe.common.error.KvException;
import org.junit.jupiter.api.Test;

class WatchRequestTest {
  @Test
  void prefixKeyAndResumePosition() {
    WatchRequest all = WatchRequest.parse("prefix=", null);
    assertThat(all.matches("anything")).isTrue();
    WatchRequest users = WatchRequest.parse("prefix=user%3A", null);
    assertThat(users.matches("user:1")).isTrue();
    assertThat(users.matches("use")).isFalse();
    assertThat(users.from()).isEmpty();
    WatchRequest one = WatchRequest.parse("key=a+b%2Bc", null);
    assertThat(one.matches("a b+c")).isTrue();
    assertThat(one.matches("a b+cd")).isFalse();
    String token = WatchPosition.of(1, 2, 3).token();
    assertThat(WatchRequest.parse("prefix=x&from=" + token, null).from()).contains(WatchPosition.of(1, 2, 3));
    assertThat(WatchRequest.parse("prefix=x", token).from()).contains(WatchPosition.of(1, 2, 3));
    assertThat(WatchRequest.parse("prefix=x&from=" + token, token).from()).contains(WatchPosition.of(1, 2, 3));
    assertThat(WatchRequest.parse("prefix=%C3%A9t%C3%A9", null).matches("été!")).isTrue();
  }

  @Test
  void badInputIs400() {
    String token = WatchPosition.of(1, 2, 3).token();
    for (String q : new String[] {null, "", "prefix=a&key=b", "prefix=a&prefix=b", "prefix=%ZZ", "prefix=%C3",
        "prefix=%C3%28", "key=", "prefix=" + "a".repeat(513), "prefix=a&nope=1", "prefix=a&from=garbage",
        "prefix=a&from="}) {
      assertThatThrownBy(() -> WatchRequest.parse(q, null)).as(q).isInstanceOf(KvException.class)
          .satisfies(e -> assertThat(io.kvpipe.proxy.http.ApiError.status(((KvException) e).code())).isEqualTo(400));
    }
    assertThatThrownBy(() -> WatchRequest.parse("prefix=a&from=" + token, WatchPosition.of(9, 9, 9).token()))
        .isInstanceOf(KvException.class).hasMessageContaining("Last-Event-ID");
    assertThatThrownBy(() -> WatchRequest.parse("prefix=a", "junk")).isInstanceOf(KvException.class);
  }
}
