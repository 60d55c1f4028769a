/**
 * The cluster topology: shard groups, the ring spec, epoch, node health, migrations in flight, the bounded event log,
 * the meta group's commands and queries, their pure state transitions, and the JSON codec all of them share.
 */
package io.kvpipe.common.topology;
