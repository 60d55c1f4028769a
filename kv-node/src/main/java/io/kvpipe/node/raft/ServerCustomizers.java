package io.kvpipe.node.raft;

import java.util.function.UnaryOperator;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.grpc.server.GrpcServices;
import org.apache.ratis.thirdparty.io.grpc.netty.NettyServerBuilder;

/**
 * Ratis keeps one customizer of its gRPC server builder per {@link Parameters}; each kvpipe addition
 * ({@link InlineRaftCalls}, {@link AnchoredCommitGuard}) chains after the one already set instead of replacing it.
 */
final class ServerCustomizers {
  private ServerCustomizers() {}

  /** Sets {@code parameters}' customizer to the one it had (if any), then {@code then}; returns {@code parameters}. */
  static Parameters chain(Parameters parameters, UnaryOperator<NettyServerBuilder> then) {
    GrpcServices.Customizer before = GrpcConfigKeys.Server.servicesCustomizer(parameters);
    GrpcConfigKeys.Server.setServicesCustomizer(parameters,
        (builder, types) -> then.apply(before == null ? builder : before.customize(builder, types)));
    return parameters;
  }
}
