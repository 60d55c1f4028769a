package io.kvpipe.common.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * A process's settings, each defined once ({@link Setting}), and the one parser every kvpipe process uses. A setting's
 * value comes from, highest first: its command-line flag ({@code --name value} or {@code --name=value}), its
 * environment variable (a blank variable counts as unset), the properties file given with {@code --config FILE}
 * (keys are flag names without {@code --}; an unknown key is refused), its default. {@link #help()} and
 * {@link ParsedConfig#describe()} are generated from the same definitions.
 */
public final class ConfigDef {
  /** The flag naming a properties file of settings; not a setting itself (a file cannot name another file). */
  public static final String CONFIG_FLAG = "config";

  private final String process;
  private final List<Setting> settings;
  private final String notes;
  /** flag name or alias → setting. */
  private final Map<String, Setting> byName = new LinkedHashMap<>();

  /**
   * @param process the process's name, as {@code --help} and errors show it
   * @param notes   extra lines {@code --help} prints after the table (formats of list settings and the like)
   */
  public ConfigDef(String process, List<Setting> settings, String notes) {
    this.process = process;
    this.settings = List.copyOf(settings);
    this.notes = notes;
    Set<String> envs = new HashSet<>();
    for (Setting s : this.settings) {
      claim(s.name(), s);
      s.aliases().forEach(a -> claim(a.name(), s));
      if (!envs.add(s.env())) {
        throw new IllegalArgumentException(process + ": variable " + s.env() + " defined twice");
      }
    }
  }

  private void claim(String name, Setting s) {
    if (name.equals(CONFIG_FLAG) || name.equals("help") || byName.putIfAbsent(name, s) != null) {
      throw new IllegalArgumentException(process + ": flag --" + name + " defined twice (or reserved)");
    }
  }

  public String process() {
    return process;
  }

  public List<Setting> settings() {
    return settings;
  }

  public Setting setting(String name) {
    Setting s = byName.get(name);
    if (s == null) {
      throw new IllegalArgumentException(process + " has no setting --" + name);
    }
    return s;
  }

  /** Whether the arguments ask for {@link #help()} rather than a run. */
  public static boolean wantsHelp(String[] args) {
    return Arrays.asList(args).contains("--help") || Arrays.asList(args).contains("-h");
  }

  /** The {@code --help} text: every setting with its variable, default and meaning, then the notes. */
  public String help() {
    StringBuilder b = new StringBuilder("usage: ").append(process).append(" [--config FILE] [--flag value]...\n")
        .append("Each flag's value comes from the flag, else its environment variable, else the --config file"
            + " (a properties file keyed\nby flag name without --), else the default.\n\n");
    for (Setting s : settings) {
      b.append(String.format("  %-30s %-38s default %s%n", s.flag(), s.env(), s.shownDefault()));
      b.append("      ").append(s.doc()).append(s.secret() ? " (secret: never printed)" : "")
          .append(s.isRepeatable() ? " (repeatable; in the variable or file separated by '" + s.separator() + "')" : "")
          .append('\n');
      List<String> others = new ArrayList<>();
      s.aliases().forEach(a -> others.add("--" + a.name() + (a.deprecated() ? " (deprecated)" : "")));
      s.envAliases().forEach(a -> others.add(a.name() + (a.deprecated() ? " (deprecated)" : "")));
      if (!others.isEmpty()) {
        b.append("      also: ").append(String.join(", ", others)).append('\n');
      }
    }
    if (notes != null && !notes.isBlank()) {
      b.append('\n').append(notes.strip()).append('\n');
    }
    return b.toString();
  }

  /**
   * Merges flags, environment, the {@code --config} file and defaults, reads each value as its type and validates it.
   *
   * @throws IllegalArgumentException naming the setting, the bad value and where it came from
   */
  public ParsedConfig parse(String[] args, Map<String, String> env) {
    Set<String> known = new HashSet<>(byName.keySet());
    known.add(CONFIG_FLAG);
    Set<String> warnings = new LinkedHashSet<>();
    Map<Setting, List<String>> fromFlags = new LinkedHashMap<>();
    Path configFile = null;
    for (CommandLineFlags.Flag f : CommandLineFlags.scan(args, known, this::help)) {
      if (f.name().equals(CONFIG_FLAG)) {
        configFile = Path.of(f.value().trim());
        continue;
      }
      Setting s = byName.get(f.name());
      deprecatedFlag(s, f.name(), "--", warnings);
      fromFlags.computeIfAbsent(s, k -> new ArrayList<>()).add(f.value());
    }
    Map<Setting, String> fromFile = configFile == null ? Map.of() : readFile(configFile, warnings);

    Map<String, ParsedConfig.Entry> entries = new LinkedHashMap<>();
    for (Setting s : settings) {
      List<String> texts;
      ValueSource source;
      String origin;
      if (fromFlags.containsKey(s)) {
        List<String> given = fromFlags.get(s);
        texts = s.isRepeatable() ? given : List.of(given.getLast());
        source = ValueSource.FLAG;
        origin = "flag";
      } else if (envValue(s, env, warnings) instanceof String[] found) {
        texts = split(s, found[1]);
        source = ValueSource.ENV;
        origin = found[0];
      } else if (fromFile.containsKey(s)) {
        texts = split(s, fromFile.get(s));
        source = ValueSource.FILE;
        origin = configFile.toString();
      } else {
        texts = s.defaultValue() == null ? List.of() : split(s, s.defaultValue());
        source = ValueSource.DEFAULT;
        origin = "default";
      }
      List<Object> values = new ArrayList<>();
      for (String t : texts) {
        // An empty text is "none": for text settings an empty value, for the others no value at all.
        if (s.type() != SettingType.STRING && t.isBlank()) {
          continue;
        }
        values.add(read(s, t, origin));
      }
      entries.put(s.name(), new ParsedConfig.Entry(s, List.copyOf(texts), List.copyOf(values), source, origin));
    }
    return new ParsedConfig(this, entries, List.copyOf(warnings));
  }

  private static Object read(Setting s, String text, String origin) {
    String where = origin.equals("flag") || origin.equals("default") ? origin : "from " + origin;
    Object value;
    try {
      value = s.type().read(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(s.flag() + " " + e.getMessage() + ", got '" + shown(s, text) + "' ("
          + where + ")");
    }
    if (!(value instanceof String str && str.isEmpty())) {
      try {
        s.validator().check(value);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(s.flag() + " " + e.getMessage() + ", got '" + shown(s, text) + "' ("
            + where + ")");
      }
    }
    return value;
  }

  private static String shown(Setting s, String text) {
    return s.secret() ? "****" : text;
  }

  /** {variable, value} of the first non-blank variable of the setting, or null. */
  private static String[] envValue(Setting s, Map<String, String> env, Set<String> warnings) {
    String v = env.get(s.env());
    if (v != null && !v.isBlank()) {
      return new String[] {s.env(), v};
    }
    for (Setting.Alias a : s.envAliases()) {
      v = env.get(a.name());
      if (v != null && !v.isBlank()) {
        if (a.deprecated()) {
          warnings.add("environment variable " + a.name() + " is deprecated: use " + s.env());
        }
        return new String[] {a.name(), v};
      }
    }
    return null;
  }

  private static List<String> split(Setting s, String text) {
    if (!s.isRepeatable()) {
      return List.of(text);
    }
    return Arrays.stream(text.split(java.util.regex.Pattern.quote(s.separator()))).map(String::trim)
        .filter(t -> !t.isEmpty()).toList();
  }

  private static void deprecatedFlag(Setting s, String used, String prefix, Set<String> warnings) {
    for (Setting.Alias a : s.aliases()) {
      if (a.name().equals(used) && a.deprecated()) {
        warnings.add(prefix + used + " is deprecated: use " + prefix + s.name());
      }
    }
  }

  private Map<Setting, String> readFile(Path file, Set<String> warnings) {
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(file)) {
      p.load(r);
    } catch (IOException e) {
      throw new IllegalArgumentException("--config " + file + ": cannot read it (" + e.getMessage() + ")", e);
    }
    Map<Setting, String> out = new LinkedHashMap<>();
    for (String key : new java.util.TreeSet<>(p.stringPropertyNames())) {
      Setting s = byName.get(key);
      if (s == null) {
        throw new IllegalArgumentException("--config " + file + ": unknown setting '" + key + "' (keys are "
            + process + "'s flag names without --; --help lists them)");
      }
      deprecatedFlag(s, key, "", warnings);
      if (out.put(s, p.getProperty(key)) != null) {
        throw new IllegalArgumentException("--config " + file + ": " + s.name() + " is given twice (under "
            + "another of its names too)");
      }
    }
    return out;
  }
}
