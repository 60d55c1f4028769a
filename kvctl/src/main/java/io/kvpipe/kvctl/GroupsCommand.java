package io.kvpipe.kvctl;

import com.fasterxml.jackson.databind.JsonNode;
import io.kvpipe.common.topology.Peer;
import io.kvpipe.common.topology.ShardGroup;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code kvctl groups}: each group's leader, replica roles and lags (also {@code groups list}); {@code groups
 * add|remove}: online scaling through the proxy's cluster API (a migration follows).
 */
@Command(name = "groups", description = "Shard groups: their leaders, replicas and lags; add or remove one (starts an"
    + " online migration).", subcommands = {GroupsListCommand.class, GroupsCommand.Add.class,
    GroupsCommand.Remove.class})
final class GroupsCommand extends GroupsView {

  @Command(name = "add", description = "Create a shard group on the given replicas and add it to the ring "
      + "(POST /api/cluster/groups).")
  static final class Add extends KvctlCommand {
    @Parameters(index = "0", paramLabel = "GROUP", description = "new group id (letters, digits, '_', '-')")
    String id;

    @Option(names = "--peer", required = true, paramLabel = "ID@HOST:PORT",
        description = "a replica of the new group (repeat for each; usually 3)")
    List<String> peers;

    @Option(names = "--keys-per-second", defaultValue = "0", paramLabel = "N",
        description = "copy at most N keys/s (0 = unlimited; changeable later with kvctl migrations throttle)")
    long keysPerSecond;

    @Option(names = "--batch-size", defaultValue = "10000", paramLabel = "N",
        description = "records per copy batch, 1..10000 (default ${DEFAULT-VALUE})")
    int batchSize;

    @Override
    public Integer call() {
      if (keysPerSecond < 0 || batchSize < 1 || batchSize > 10_000) {
        throw new KvctlException(ExitCodes.USAGE, "--keys-per-second must be >= 0 and --batch-size within 1..10000");
      }
      ShardGroup group;
      try {
        group = new ShardGroup(id, peers.stream().map(Peer::parse).toList());
      } catch (IllegalArgumentException e) {
        throw new KvctlException(ExitCodes.USAGE, e.getMessage());
      }
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("id", group.id());
      body.put("peers", group.peers().stream().map(Peer::toString).toList());
      body.put("throttleKeysPerSecond", keysPerSecond);
      body.put("batchSize", batchSize);
      JsonNode r = cluster.api().adminPost("/api/cluster/groups", body);
      report(r, "group " + group.id() + " added");
      return ExitCodes.OK;
    }

    private void report(JsonNode r, String what) {
      if (json()) {
        printJson(r);
      } else {
        out().println(what + (r.hasNonNull("migration") ? "; migration " + r.path("migration").path("id").asText(
            r.path("migration").asText()) + " started (kvctl migrations watch)" : ""));
      }
    }
  }

  @Command(name = "remove", description = "Drain a shard group (its ranges move to the others) and remove it "
      + "(DELETE /api/cluster/groups/{id}).")
  static final class Remove extends KvctlCommand {
    @Parameters(index = "0", paramLabel = "GROUP", description = "group id")
    String id;

    @Override
    public Integer call() {
      try {
        ShardGroup.checkId(id);
      } catch (IllegalArgumentException e) {
        throw new KvctlException(ExitCodes.USAGE, e.getMessage());
      }
      JsonNode r = cluster.api().adminDelete("/api/cluster/groups/" + ProxyApi.segment(id));
      if (json()) {
        printJson(r);
      } else {
        out().println("group " + id + " is being drained (kvctl migrations watch)");
      }
      return ExitCodes.OK;
    }
  }
}
