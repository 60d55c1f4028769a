package io.kvpipe.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class RaftTlsTest {
  @Test
  void equalSettingsShareOneClientFactorySoTheTlsContextsAreBuiltOncePerProcess() {
    RaftTls a = new RaftTls(Path.of("a.pem"), Path.of("a.key"), Path.of("ca.pem"));
    RaftTls sameFiles = new RaftTls(Path.of("a.pem"), Path.of("a.key"), Path.of("ca.pem"));
    RaftTls otherFiles = new RaftTls(Path.of("b.pem"), Path.of("b.key"), Path.of("ca.pem"));

    assertThat(sameFiles.clientFactory()).isSameAs(a.clientFactory());
    assertThat(otherFiles.clientFactory()).isNotSameAs(a.clientFactory());
    assertThat(new RaftTls(null, null, null).clientFactory()).isSameAs(RaftTls.PLAINTEXT.clientFactory())
        .isNotSameAs(a.clientFactory());
  }
}
