package io.kvpipe.node.cdc;

/** Kafka could not be reached or refused an operation of the CDC publisher; the publisher retries with backoff. */
public final class CdcKafkaException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public CdcKafkaException(String message, Throwable cause) {
    super(message, cause);
  }
}
