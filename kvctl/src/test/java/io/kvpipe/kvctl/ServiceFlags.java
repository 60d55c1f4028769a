package io.kvpipe.kvctl;

import io.kvpipe.consumer.ConsumerConfig;
import io.kvpipe.node.NodeConfig;
import io.kvpipe.proxy.ProxyConfigParser;
import java.util.LinkedHashMap;
import java.util.Map;
import io.kvpipe.common.config.ConfigDef;
import io.kvpipe.common.config.Setting;
import java.util.List;

/**
 * The flag tables of the three services, read from their setting definitions (the one place each service defines its
 * settings), so a renamed flag or variable breaks the tests that compare documents with them.
 */
final class ServiceFlags {
  /** A flag, the environment variable that gives its default, the default as help shows it, and its other names. */
  record Flag(String flag, String env, String defaultValue, List<String> aliases) {}

  private ServiceFlags() {}

  /** process name (kv-node, proxy, cdc-consumer) → flag name → flag. */
  static Map<String, Map<String, Flag>> all() {
    Map<String, Map<String, Flag>> out = new LinkedHashMap<>();
    out.put("kv-node", flags(NodeConfig.DEFINITION));
    out.put("proxy", flags(ProxyConfigParser.DEFINITION));
    out.put("cdc-consumer", flags(ConsumerConfig.DEFINITION));
    return out;
  }

  static Map<String, Flag> flags(ConfigDef def) {
    Map<String, Flag> flags = new LinkedHashMap<>();
    for (Setting s : def.settings()) {
      List<String> aliases = new java.util.ArrayList<>();
      s.aliases().forEach(a -> aliases.add("--" + a.name()));
      s.envAliases().forEach(a -> aliases.add(a.name()));
      flags.put(s.name(), new Flag(s.name(), s.env(), s.shownDefault(), aliases));
    }
    return flags;
  }
}
