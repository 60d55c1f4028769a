package io.kvpipe.node.raft;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.Executor;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.grpc.server.GrpcServices;
import org.apache.ratis.proto.grpc.AdminProtocolServiceGrpc;
import org.apache.ratis.proto.grpc.RaftClientProtocolServiceGrpc;
import org.apache.ratis.proto.grpc.RaftServerProtocolServiceGrpc;
import org.apache.ratis.thirdparty.io.grpc.netty.NettyServerBuilder;
import org.junit.jupiter.api.Test;

class InlineRaftCallsTest {
  @Test
  void replicationAndClientStreamsRunWhereTheyWereRead() {
    Executor inline = InlineRaftCalls.executorFor(
        RaftServerProtocolServiceGrpc.getAppendEntriesMethod().getFullMethodName());
    assertThat(inline).isNotNull();
    Thread[] ranOn = new Thread[1];
    inline.execute(() -> ranOn[0] = Thread.currentThread());
    assertThat(ranOn[0]).isSameAs(Thread.currentThread());
    assertThat(InlineRaftCalls.executorFor(RaftClientProtocolServiceGrpc.getOrderedMethod().getFullMethodName()))
        .isSameAs(inline);
    assertThat(InlineRaftCalls.executorFor(RaftClientProtocolServiceGrpc.getUnorderedMethod().getFullMethodName()))
        .isSameAs(inline);
  }

  @Test
  void callsThatMayWriteToDiskBeforeTheyReplyStayOnGrpcsExecutor() {
    for (String method : new String[] {
        RaftServerProtocolServiceGrpc.getRequestVoteMethod().getFullMethodName(),
        RaftServerProtocolServiceGrpc.getInstallSnapshotMethod().getFullMethodName(),
        RaftServerProtocolServiceGrpc.getStartLeaderElectionMethod().getFullMethodName(),
        RaftServerProtocolServiceGrpc.getReadIndexMethod().getFullMethodName(),
        AdminProtocolServiceGrpc.getGroupManagementMethod().getFullMethodName(),
        AdminProtocolServiceGrpc.getSetConfigurationMethod().getFullMethodName()}) {
      assertThat(InlineRaftCalls.executorFor(method)).as(method).isNull();
    }
  }

  @Test
  void aCustomizerSetBeforeIsKeptAndRunsFirst() {
    Parameters parameters = new Parameters();
    List<String> ran = new ArrayList<>();
    GrpcConfigKeys.Server.setServicesCustomizer(parameters, (builder, types) -> {
      ran.add("earlier");
      return builder;
    });

    NettyServerBuilder builder = NettyServerBuilder.forPort(0);
    NettyServerBuilder built = GrpcConfigKeys.Server.servicesCustomizer(InlineRaftCalls.apply(parameters))
        .customize(builder, EnumSet.of(GrpcServices.Type.SERVER));

    assertThat(ran).containsExactly("earlier");
    assertThat(built).isSameAs(builder);
  }
}
