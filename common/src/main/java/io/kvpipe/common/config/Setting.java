package io.kvpipe.common.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One setting of a process, defined once: its flag name (without {@code --}), environment variable, type, default,
 * validator, documentation, whether it is a secret, and the other names it is accepted under. {@link ConfigDef}
 * builds the parser, {@code --help} and the printed effective configuration from these.
 *
 * @param name          the flag name, also the key in a {@code --config} file
 * @param env           the environment variable giving its value when no flag does
 * @param type          how the text is read
 * @param defaultValue  the value when nothing gives one; null: none (the service decides, or the setting is required)
 * @param shownDefault  what {@code --help} and docs/configuration.md say the default is
 * @param doc           one line for {@code --help}
 * @param secret        never printed (the effective configuration shows {@code ****})
 * @param separator     non-null: repeatable; several flags give several values, the variable and a file give one text
 *                      split on this separator
 * @param validator     checks the typed value
 * @param aliases       other flag names (also accepted as file keys)
 * @param envAliases    other environment variables, looked at after {@code env}
 */
public record Setting(String name, String env, SettingType type, String defaultValue, String shownDefault, String doc,
                      boolean secret, String separator, Validator validator, List<Alias> aliases,
                      List<Alias> envAliases) {

  /** Another name of a setting. A deprecated one still works, with a warning naming the name to use instead. */
  public record Alias(String name, boolean deprecated) {}

  public Setting {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(env, "env");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(doc, "doc");
    Objects.requireNonNull(validator, "validator");
    if (!name.matches("[a-z][a-z0-9-]*")) {
      throw new IllegalArgumentException("setting name '" + name + "' is not lower-case-with-dashes");
    }
    aliases = List.copyOf(aliases);
    envAliases = List.copyOf(envAliases);
    if (shownDefault == null) {
      shownDefault = defaultValue == null || defaultValue.isEmpty() ? "(none)" : defaultValue;
    }
  }

  /** A setting with a default ({@code ""} or null: none) and no other names. */
  public static Setting of(String name, String env, SettingType type, String defaultValue, String doc) {
    return new Setting(name, env, type, defaultValue, null, doc, false, null, Validator.any(), List.of(), List.of());
  }

  public static Setting string(String name, String env, String defaultValue, String doc) {
    return of(name, env, SettingType.STRING, defaultValue, doc);
  }

  public static Setting integer(String name, String env, int defaultValue, String doc) {
    return of(name, env, SettingType.INT, Integer.toString(defaultValue), doc);
  }

  public static Setting longValue(String name, String env, long defaultValue, String doc) {
    return of(name, env, SettingType.LONG, Long.toString(defaultValue), doc);
  }

  public static Setting bool(String name, String env, boolean defaultValue, String doc) {
    return of(name, env, SettingType.BOOLEAN, Boolean.toString(defaultValue), doc);
  }

  /** No default: the process refuses to start without it. */
  public static Setting required(String name, String env, SettingType type, String doc) {
    return of(name, env, type, null, doc).shownAs("(required)");
  }

  public Setting asSecret() {
    return new Setting(name, env, type, defaultValue, shownDefault, doc, true, separator, validator, aliases,
        envAliases);
  }

  public Setting shownAs(String text) {
    return new Setting(name, env, type, defaultValue, text, doc, secret, separator, validator, aliases, envAliases);
  }

  public Setting repeatable(String envSeparator) {
    return new Setting(name, env, type, defaultValue, shownDefault, doc, secret, envSeparator, validator, aliases,
        envAliases);
  }

  public Setting validate(Validator v) {
    return new Setting(name, env, type, defaultValue, shownDefault, doc, secret, separator, v, aliases, envAliases);
  }

  /** Accepts the flag {@code --old} too, with a warning to use {@code --name}. */
  public Setting deprecatedFlag(String old) {
    return withFlagAlias(new Alias(old, true));
  }

  /** Accepts the flag {@code --other} as an equal name (no warning). */
  public Setting flagAlias(String other) {
    return withFlagAlias(new Alias(other, false));
  }

  /** Reads {@code variable} when {@link #env()} is unset; deprecated: with a warning to use {@code env}. */
  public Setting envAlias(String variable, boolean deprecated) {
    List<Alias> more = new ArrayList<>(envAliases);
    more.add(new Alias(variable, deprecated));
    return new Setting(name, env, type, defaultValue, shownDefault, doc, secret, separator, validator, aliases, more);
  }

  private Setting withFlagAlias(Alias a) {
    List<Alias> more = new ArrayList<>(aliases);
    more.add(a);
    return new Setting(name, env, type, defaultValue, shownDefault, doc, secret, separator, validator, more,
        envAliases);
  }

  public boolean isRepeatable() {
    return separator != null;
  }

  public String flag() {
    return "--" + name;
  }
}
