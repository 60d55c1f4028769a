/**
 * CDC publishing: the leader of each shard group publishes its replicated outbox to Kafka.
 *
 * <p>Each replica's state machine keeps the change events it committed but that are not yet confirmed as
 * published (the outbox; see {@code io.kvpipe.node.shard}). On the group's leader, {@link
 * io.kvpipe.node.cdc.LeaderPublishing} runs one {@link io.kvpipe.node.cdc.CdcPublisher} per leadership term. The
 * publisher reads events in log order after the replicated confirmed index, sends them with an idempotent producer
 * (acks=all) keyed by the KV key, tracks the highest log index up to which Kafka acknowledged everything ({@link
 * io.kvpipe.node.cdc.AckTracker}), and every {@code confirmInterval} commits "published up to N" through Raft, which
 * trims the outbox on every replica.
 *
 * <ul>
 *   <li>At-least-once into Kafka, exactly-once in the archive: a new leader republishes from the confirmed index;
 *       repeats carry the same identity {@code (group, log_index, seq)}.
 *   <li>A deposed leader is harmless: the outbox only holds committed events, so it can only repeat them; it is
 *       stopped on step-down (producer closed at once), checks leadership before each batch and confirm, and cannot
 *       commit a confirm through Raft.
 *   <li>Kafka outages: the producer retries forever in order; a failed send restarts from the last contiguous ack
 *       after an exponential backoff (capped by {@code retryBackoffMax}). Nothing is skipped.
 *   <li>The topic is created if missing ({@link io.kvpipe.node.cdc.ChangeTopic}); settings are in {@link
 *       io.kvpipe.node.cdc.CdcConfig}; metrics ({@code kvpipe.cdc.*}) in {@link io.kvpipe.node.cdc.CdcMetrics}.
 * </ul>
 *
 * The event format is documented in {@code docs/events.md}.
 */
package io.kvpipe.node.cdc;
