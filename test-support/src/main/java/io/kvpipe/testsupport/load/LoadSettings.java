package io.kvpipe.testsupport.load;

/**
 * How a {@link LoadDriver} behaves.
 *
 * @param threads        client threads, each owning {@code keysPerThread} keys
 * @param longKeyFraction share of keys that are long (64..512 bytes)
 * @param maxValueBytes  largest value written (values are 10 B up to this, skewed small)
 * @param readFraction   share of operations that are reads (of any thread's key)
 * @param deleteFraction share of operations that are deletes (the rest are puts)
 * @param pauseMillis    pause after each operation per thread (0: as fast as the proxy answers)
 * @param seed           makes keys and choices reproducible
 */
public record LoadSettings(int threads, int keysPerThread, double longKeyFraction, int maxValueBytes,
                           double readFraction, double deleteFraction, int pauseMillis, long seed) {
  public LoadSettings {
    if (threads < 1 || keysPerThread < 1 || maxValueBytes < Values.MIN_BYTES) {
      throw new IllegalArgumentException("need threads >= 1, keysPerThread >= 1, maxValueBytes >= 10");
    }
    if (readFraction < 0 || deleteFraction < 0 || readFraction + deleteFraction > 1) {
      throw new IllegalArgumentException("read and delete fractions must be within 0..1 together");
    }
  }

  /** 4 threads x 500 keys, a fifth of them long, values up to 20 KiB, 40% reads, 10% deletes. */
  public static LoadSettings defaults() {
    return new LoadSettings(4, 500, 0.2, 20 * 1024, 0.4, 0.1, 0, 42);
  }

  public LoadSettings withPauseMillis(int pause) {
    return new LoadSettings(threads, keysPerThread, longKeyFraction, maxValueBytes, readFraction, deleteFraction,
        pause, seed);
  }
}
