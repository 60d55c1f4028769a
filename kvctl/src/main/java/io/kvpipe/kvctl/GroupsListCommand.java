package io.kvpipe.kvctl;

import picocli.CommandLine.Command;

/** {@code kvctl groups list}, the same as plain {@code kvctl groups}. */
@Command(name = "list", description = "Each group's leader, replica roles, commit/applied lag behind the leader, "
    + "last contact and CDC lag (GET /api/topology/shards; exit 1 if a ring group has no leader).")
final class GroupsListCommand extends GroupsView {}
