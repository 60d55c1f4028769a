package io.kvpipe.proxy.http;

/** Who may call a route. */
public enum Access {
  /** No token needed (/health, /ready, and /metrics when configured open). */
  OPEN,
  /** The data token or the admin token. */
  DATA,
  /** Only the admin token; the data token gets 403. */
  ADMIN
}
