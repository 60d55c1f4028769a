package io.kvpipe.common.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class PeerAddressTest {
  @Test
  void parsesListsAndRoundTripsText() {
    List<PeerAddress> peers = PeerAddress.parseList("n1@127.0.0.1:7001, n2@localhost:7002");
    assertThat(peers).containsExactly(new PeerAddress("n1", "127.0.0.1", 7001), new PeerAddress("n2", "localhost", 7002));
    assertThat(peers.get(0).toString()).isEqualTo("n1@127.0.0.1:7001");
  }

  @Test
  void rejectsBadPeers() {
    for (String bad : List.of("n1", "@h:1", "n1@h", "n1@h:", "n1@h:x", "n1@h:70000", "n 1@h:1", "")) {
      assertThatThrownBy(() -> PeerAddress.parseList(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
    }
  }
}
