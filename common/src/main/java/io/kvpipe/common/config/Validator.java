package io.kvpipe.common.config;

/** Checks a setting's typed value; the message says what is allowed (the parser adds the name, value and source). */
@FunctionalInterface
public interface Validator {
  /** @throws IllegalArgumentException with what the value must be, e.g. "must be within 1..65535" */
  void check(Object value);

  static Validator any() {
    return v -> {};
  }

  /** An integer or long within {@code min..max}, both inclusive. */
  static Validator range(long min, long max) {
    return v -> {
      long n = ((Number) v).longValue();
      if (n < min || n > max) {
        throw new IllegalArgumentException("must be within " + min + ".." + max);
      }
    };
  }

  static Validator atLeast(long min) {
    return v -> {
      if (((Number) v).longValue() < min) {
        throw new IllegalArgumentException("must be at least " + min);
      }
    };
  }

  static Validator atMost(long max) {
    return v -> {
      if (((Number) v).longValue() > max) {
        throw new IllegalArgumentException("must be at most " + max);
      }
    };
  }

  static Validator nonEmpty() {
    return v -> {
      if (v.toString().isBlank()) {
        throw new IllegalArgumentException("must not be empty");
      }
    };
  }
}
