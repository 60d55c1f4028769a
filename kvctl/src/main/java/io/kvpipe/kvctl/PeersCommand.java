package io.kvpipe.kvctl;

import com.fasterxml.jackson.databind.JsonNode;
import io.kvpipe.common.topology.Peer;
import io.kvpipe.common.topology.ShardGroup;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code kvctl peers add|remove}: Raft membership change of one group, online. */
@Command(name = "peers", description = "Add or remove a replica of a group (Raft membership change).",
    subcommands = {PeersCommand.Add.class, PeersCommand.Remove.class})
final class PeersCommand implements Runnable {
  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new picocli.CommandLine.ParameterException(spec.commandLine(), "a subcommand is required: add or remove");
  }

  static String checkedGroup(String group) {
    try {
      return ShardGroup.checkId(group);
    } catch (IllegalArgumentException e) {
      throw new KvctlException(ExitCodes.USAGE, e.getMessage());
    }
  }

  @Command(name = "add", description = "Add a replica (POST /api/cluster/groups/{id}/peers).")
  static final class Add extends KvctlCommand {
    @Parameters(index = "0", paramLabel = "GROUP")
    String group;

    @Parameters(index = "1", paramLabel = "ID@HOST:PORT", description = "the new replica")
    String peer;

    @Override
    public Integer call() {
      Peer p;
      try {
        p = Peer.parse(peer);
      } catch (IllegalArgumentException e) {
        throw new KvctlException(ExitCodes.USAGE, e.getMessage());
      }
      JsonNode r = cluster.api().adminPost("/api/cluster/groups/" + ProxyApi.segment(checkedGroup(group)) + "/peers",
          Map.of("peer", p.toString()));
      if (json()) {
        printJson(r);
      } else {
        // 202: the change is accepted and runs on (joining, reconfiguring); it is not done yet.
        out().println("adding replica " + p + " to group " + group + " (change " + r.path("migration").path("id").asText()
            + "; scripts/kvctl migrations watch follows it)");
      }
      return ExitCodes.OK;
    }
  }

  @Command(name = "remove", description = "Remove a replica (DELETE /api/cluster/groups/{id}/peers/{peer}).")
  static final class Remove extends KvctlCommand {
    @Parameters(index = "0", paramLabel = "GROUP")
    String group;

    @Parameters(index = "1", paramLabel = "PEER-ID", description = "the replica's node id, e.g. n3")
    String peerId;

    @Override
    public Integer call() {
      if (!peerId.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")) {
        throw new KvctlException(ExitCodes.USAGE, "invalid node id '" + peerId + "'");
      }
      JsonNode r = cluster.api().adminDelete("/api/cluster/groups/" + ProxyApi.segment(checkedGroup(group))
          + "/peers/" + ProxyApi.segment(peerId));
      if (json()) {
        printJson(r);
      } else {
        out().println("removing replica " + peerId + " from group " + group + " (change "
            + r.path("migration").path("id").asText() + "; scripts/kvctl migrations watch follows it)");
      }
      return ExitCodes.OK;
    }
  }
}
