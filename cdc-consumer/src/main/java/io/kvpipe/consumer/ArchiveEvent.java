package io.kvpipe.consumer;

import io.kvpipe.common.event.ChangeEvent;

/** A decoded, validated event ready to archive, with its key's UTF-8 bytes (the form MySQL stores). */
public record ArchiveEvent(ChangeEvent event, byte[] key) {}
