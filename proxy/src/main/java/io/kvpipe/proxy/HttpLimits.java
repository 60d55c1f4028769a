package io.kvpipe.proxy;

/**
 * Bounds on what one caller can make the proxy hold: each is answered with a clear 4xx/503 and counted in
 * {@code kvpipe_proxy_rejected_total{reason}}. Defaults live in {@link ProxyConfigParser}.
 *
 * @param maxHeaderBytes    largest request header block (Jetty answers 431 beyond)
 * @param maxUriBytes       longest request target, path and query (414 beyond)
 * @param maxBatchGetBytes  most value bytes one batch get may return (413 beyond; it stops reading once over)
 * @param maxSseSubscribers most concurrent topology subscribers (503 beyond)
 * @param sseQueueFrames    most frames queued for one subscriber that does not read; past it the subscriber is dropped
 */
public record HttpLimits(int maxHeaderBytes, int maxUriBytes, long maxBatchGetBytes, int maxSseSubscribers,
                         int sseQueueFrames) {
  public HttpLimits {
    if (maxHeaderBytes < 1024 || maxHeaderBytes > 1 << 20) {
      throw new IllegalArgumentException("--max-header-bytes must be within 1024..1048576");
    }
    if (maxUriBytes < 256 || maxUriBytes > maxHeaderBytes) {
      throw new IllegalArgumentException("--max-uri-bytes must be within 256..max-header-bytes (" + maxHeaderBytes
          + "): the request line is part of the header block");
    }
    if (maxBatchGetBytes < 1) {
      throw new IllegalArgumentException("--max-batch-get-bytes must be positive");
    }
    if (maxSseSubscribers < 0) {
      throw new IllegalArgumentException("--max-sse-subscribers must be >= 0");
    }
    if (sseQueueFrames < 2) {
      throw new IllegalArgumentException("--sse-queue-frames must be >= 2");
    }
  }
}
