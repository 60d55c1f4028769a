package io.kvpipe.proxy.migration;

import io.kvpipe.client.meta.MetaClient;
import io.kvpipe.common.topology.MetaCommand;
import io.kvpipe.common.topology.MetaReply;
import io.kvpipe.common.topology.Topology;

/** The meta group as the coordinator uses it; blocking, failures are KvExceptions (a refusal included). */
public interface MetaAccess {
  /** A linearizable read of the whole topology. */
  Topology snapshot();

  /** Applies a command or throws its refusal. */
  MetaReply submit(MetaCommand command);

  static MetaAccess of(MetaClient client) {
    return new MetaAccess() {
      @Override
      public Topology snapshot() {
        return client.snapshot();
      }

      @Override
      public MetaReply submit(MetaCommand command) {
        return client.submitAndWait(command);
      }
    };
  }
}
