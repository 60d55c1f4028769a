package io.kvpipe.node.cdc;

/**
 * What the change topic's real settings are, as Kafka reports them (a broker default where the topic sets nothing).
 *
 * @param maxMessageBytes the largest record batch the topic takes ({@code max.message.bytes})
 * @param minInsyncReplicas replicas that must have a record before acks=all acknowledges it
 * @param uncleanLeaderElection whether a replica that missed records may become leader (losing them)
 */
public record TopicFacts(String topic, int partitions, int replicationFactor, int minInsyncReplicas,
                         long maxMessageBytes, boolean uncleanLeaderElection) {}
