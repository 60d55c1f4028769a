package io.kvpipe.common.config;

/** Where a setting's effective value came from, highest precedence first. */
public enum ValueSource {
  FLAG("flag"),
  ENV("env"),
  FILE("file"),
  DEFAULT("default");

  private final String label;

  ValueSource(String label) {
    this.label = label;
  }

  public String label() {
    return label;
  }
}
