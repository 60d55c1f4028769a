package io.kvpipe.proxy.resp;

import java.time.Duration;

/**
 * What one RESP connection may make the proxy hold. Before AUTH a command is small (a token is not large), so an
 * unauthenticated client cannot make the proxy buffer more than a few KiB, and must authenticate within
 * {@code authTimeout}; after it, a command may be as large as an HTTP batch body.
 */
record RespLimits(RespCodec.Limits beforeAuth, RespCodec.Limits afterAuth, int maxPipeline, long maxPipelineBytes,
                  Duration authTimeout) {
  /** Keys of a multi-key command plus its name; MSET has a value beside each key. */
  static final int MAX_ARGS = 2 * RespDataCommands.MAX_KEYS + 1;

  /**
   * @param maxValueBytes the proxy's value cap (a longer argument is refused)
   * @param maxBodyBytes  the HTTP body cap, also the most argument bytes one command may carry
   */
  static RespLimits of(int maxValueBytes, long maxBodyBytes, int maxPipeline, Duration authTimeout) {
    int maxBulk = Math.max(maxValueBytes, io.kvpipe.common.Limits.MAX_KEY_BYTES);
    return new RespLimits(new RespCodec.Limits(8, 1024, 4096),
        new RespCodec.Limits(MAX_ARGS, maxBulk, maxBodyBytes), maxPipeline,
        Math.max(16L << 20, 2 * maxBodyBytes), authTimeout);
  }
}
