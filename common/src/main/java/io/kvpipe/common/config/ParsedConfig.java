package io.kvpipe.common.config;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The merged settings of one process ({@link ConfigDef#parse}): typed values, where each came from, and the warnings
 * (deprecated names used) the process logs at start. Services read it in one place to build their typed config record.
 */
public final class ParsedConfig {
  /** One setting's effective value(s); empty when it has none (no default and nothing given). */
  record Entry(Setting setting, List<String> texts, List<Object> values, ValueSource source, String origin) {}

  private final ConfigDef def;
  private final Map<String, Entry> entries;
  private final List<String> warnings;

  ParsedConfig(ConfigDef def, Map<String, Entry> entries, List<String> warnings) {
    this.def = def;
    this.entries = entries;
    this.warnings = warnings;
  }

  private Entry entry(String name) {
    Entry e = entries.get(def.setting(name).name());
    if (e == null) {
      throw new IllegalStateException("no entry for " + name);
    }
    return e;
  }

  /** The value, trimmed; empty when none was given and there is no default, or it is blank. */
  public Optional<String> optional(String name) {
    Entry e = entry(name);
    if (e.values().isEmpty()) {
      return Optional.empty();
    }
    String v = e.values().getLast().toString();
    return v.isBlank() ? Optional.empty() : Optional.of(v);
  }

  /** The text value, trimmed ({@code ""} when none). */
  public String string(String name) {
    return optional(name).orElse("");
  }

  /** The text value; a clear error naming the flag and variable when it has none. */
  public String required(String name) {
    Setting s = def.setting(name);
    return optional(name).orElseThrow(() -> new IllegalArgumentException(s.flag() + " (or " + s.env()
        + ") is required (" + def.process() + " --help lists every setting)"));
  }

  public int integer(String name) {
    return ((Number) typed(name)).intValue();
  }

  /** An integer setting without a default: empty when none was given. */
  public java.util.OptionalInt optionalInteger(String name) {
    Entry e = entry(name);
    return e.values().isEmpty() ? java.util.OptionalInt.empty()
        : java.util.OptionalInt.of(((Number) e.values().getLast()).intValue());
  }

  public long longValue(String name) {
    return ((Number) typed(name)).longValue();
  }

  public boolean bool(String name) {
    return (Boolean) typed(name);
  }

  /** Every value of a repeatable setting, in order (empty: none). */
  public List<String> list(String name) {
    return entry(name).values().stream().map(Object::toString).toList();
  }

  private Object typed(String name) {
    Entry e = entry(name);
    if (e.values().isEmpty()) {
      required(name);
    }
    return e.values().getLast();
  }

  public ValueSource source(String name) {
    return entry(name).source();
  }

  /** Deprecated names used, one warning each, for the process to log once at start. */
  public List<String> warnings() {
    return warnings;
  }

  /**
   * The effective configuration, one setting per line with where its value came from; secrets are masked, and so is a
   * {@code password=} inside any value (a JDBC URL's).
   */
  public String describe() {
    StringBuilder b = new StringBuilder(def.process()).append(" effective configuration:\n");
    for (Entry e : entries.values()) {
      Setting s = e.setting();
      String value;
      if (e.texts().isEmpty() || e.texts().stream().allMatch(String::isBlank)) {
        value = s.shownDefault();
      } else if (s.secret()) {
        value = "****";
      } else {
        value = String.join(s.isRepeatable() ? s.separator() : "", e.texts()).trim()
            .replaceAll("(?i)(password=)[^&;\\s]*", "$1****");
      }
      String from = switch (e.source()) {
        case FLAG -> "flag";
        case ENV -> "env " + e.origin();
        case FILE -> "file " + e.origin();
        case DEFAULT -> "default";
      };
      b.append("  ").append(s.name()).append('=').append(value).append("  [").append(from).append("]\n");
    }
    return b.toString();
  }
}
