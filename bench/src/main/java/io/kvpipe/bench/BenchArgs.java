package io.kvpipe.bench;

import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** {@code --name value} arguments of a benchmark driver, with typed getters and defaults given at the call site. */
final class BenchArgs {
  private final Map<String, String> values = new HashMap<>();

  BenchArgs(String[] args) {
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (!a.startsWith("--")) {
        throw new IllegalArgumentException("unexpected argument '" + a + "'");
      }
      int eq = a.indexOf('=');
      if (eq > 0) {
        values.put(a.substring(2, eq), a.substring(eq + 1));
      } else if (i + 1 < args.length && (!args[i + 1].startsWith("--") || args[i + 1].contains(" "))) {
        // A value with a space is a list of flags for a child process (--node-args "--raft-property k=v ..."), not a flag.
        values.put(a.substring(2), args[++i]);
      } else {
        values.put(a.substring(2), "true");
      }
    }
  }

  String string(String name, String def) {
    return values.getOrDefault(name, def);
  }

  int integer(String name, int def) {
    String v = values.get(name);
    try {
      return v == null ? def : Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--" + name + " must be an integer, got '" + v + "'");
    }
  }

  double decimal(String name, double def) {
    String v = string(name, null);
    if (v == null) {
      return def;
    }
    try {
      return Double.parseDouble(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--" + name + " must be a number, got '" + v + "'");
    }
  }

  /** An {@code on|off} option (anything else is refused), {@code def} when absent. */
  boolean onOff(String name, boolean def) {
    String v = string(name, def ? "on" : "off");
    if (!v.equals("on") && !v.equals("off")) {
      throw new IllegalArgumentException("--" + name + " must be on or off, got '" + v + "'");
    }
    return v.equals("on");
  }

  boolean flag(String name) {
    return Boolean.parseBoolean(values.getOrDefault(name, "false"));
  }

  Duration seconds(String name, int def) {
    return Duration.ofSeconds(integer(name, def));
  }

  List<Integer> integers(String name, String def) {
    try {
      return Arrays.stream(string(name, def).split(",")).map(String::trim).map(Integer::parseInt).toList();
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--" + name + " must be a comma-separated list of integers");
    }
  }
}
