package io.kvpipe.common.event;

/** A change event as a Kafka record's key and value bytes. */
public record EncodedEvent(byte[] key, byte[] value) {}
