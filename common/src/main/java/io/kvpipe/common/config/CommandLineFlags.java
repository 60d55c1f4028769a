package io.kvpipe.common.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Scans {@code --flag value} and {@code --flag=value} arguments, the one command-line syntax every kvpipe service
 * takes. Only the scan lives here; each service's config class merges the result over its environment defaults.
 */
public final class CommandLineFlags {
  private CommandLineFlags() {}

  /** One flag as given; a repeatable flag appears once per occurrence, in order. */
  public record Flag(String name, String value) {}

  /**
   * @param known the accepted flag names (without {@code --})
   * @param usage appended to every error, so a mistyped flag shows what is accepted
   * @throws IllegalArgumentException for a stray argument, an unknown flag, or a flag without a value
   */
  public static List<Flag> scan(String[] args, Set<String> known, Supplier<String> usage) {
    List<Flag> flags = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (!a.startsWith("--")) {
        throw new IllegalArgumentException("unexpected argument '" + a + "'\n" + usage.get());
      }
      String name = a.substring(2);
      String value;
      int eq = name.indexOf('=');
      if (eq >= 0) {
        value = name.substring(eq + 1);
        name = name.substring(0, eq);
      } else if (i + 1 < args.length) {
        value = args[++i];
      } else {
        throw new IllegalArgumentException("flag --" + name + " needs a value\n" + usage.get());
      }
      if (!known.contains(name)) {
        throw new IllegalArgumentException("unknown flag --" + name + "\n" + usage.get());
      }
      flags.add(new Flag(name, value));
    }
    return flags;
  }
}
