package io.kvpipe.common.event;

/** An event that cannot be decoded or violates the envelope's rules; the consumer dead-letters it with this message. */
public class MalformedEventException extends RuntimeException {
  public MalformedEventException(String message) {
    super(message);
  }

  public MalformedEventException(String message, Throwable cause) {
    super(message, cause);
  }
}
