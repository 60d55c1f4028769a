package io.kvpipe.systemtest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.channels.FileChannel;
import org.junit.jupiter.api.Test;

/** A network's run id is its owner's while the owner lives, so a sweep in another JVM leaves it alone. */
class NodeNetworkOwnerTest {
  @Test
  void anIdHeldByALiveOwnerIsNeitherClaimedAgainNorSweptAndIsFreeOnceReleased() throws Exception {
    String id = "t" + Long.toHexString(System.nanoTime() & 0xffff);
    FileChannel owner = NodeNetwork.claim(id);
    assertThat(owner).isNotNull();
    try {
      assertThat(NodeNetwork.claim(id)).isNull();
      assertThat(NodeNetwork.unowned(id)).isFalse();
    } finally {
      owner.close();
    }
    assertThat(NodeNetwork.unowned(id)).isTrue();
    FileChannel again = NodeNetwork.claim(id);
    assertThat(again).isNotNull();
    again.close();
    assertThat(NodeNetwork.unowned(id)).isTrue(); // and removes the lock file

  }
}
