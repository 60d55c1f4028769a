package io.kvpipe.node.raft;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RoleChangeClassesTest {
  @Test
  void everyListedClassLoadsAndLinksHere() {
    assertThat(RoleChangeClasses.names()).contains("org.apache.ratis.server.impl.LeaderStateImpl",
        "org.apache.ratis.grpc.server.GrpcLogAppender").doesNotHaveDuplicates()
        .noneMatch(n -> n.contains("/") || n.isBlank());
    assertThat(RoleChangeClasses.preload(RoleChangeClasses.class.getClassLoader()))
        .as("listed classes that do not load (rewrite the list: RoleChangeClassesIT)").isEmpty();
  }
}
