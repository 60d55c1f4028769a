package io.kvpipe.kvctl;

import io.kvpipe.consumer.ConsumerConfig;
import io.kvpipe.node.NodeConfig;
import io.kvpipe.proxy.ProxyConfigParser;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The flag tables of the three services, read from the usage text their config classes print (the one place each
 * service defines its settings), so a renamed flag or variable breaks the tests that compare documents with them.
 */
final class ServiceFlags {
  /** A flag, the environment variable that gives its default, and the default as usage shows it (null: not shown). */
  record Flag(String flag, String env, String defaultValue) {}

  // kv-node: "  --id [KVPIPE_NODE_ID]"; proxy: "  --port   env KVPIPE_PROXY_PORT   default 8080";
  // cdc-consumer: "  --topic   ($KVPIPE_TOPIC)   default kv.changes   help".
  private static final Pattern LINE = Pattern.compile(
      "^\\s*--([a-z][a-z0-9-]*)\\s+(?:\\[|env\\s+|\\(\\$)([A-Z][A-Z0-9_]*)[\\])]?(?:\\s+default\\s+(\\S+))?",
      Pattern.MULTILINE);

  private ServiceFlags() {}

  /** process name (kv-node, proxy, cdc-consumer) → flag name → flag. */
  static Map<String, Map<String, Flag>> all() {
    Map<String, Map<String, Flag>> out = new LinkedHashMap<>();
    out.put("kv-node", parse(NodeConfig.usage()));
    out.put("proxy", parse(ProxyConfigParser.usage()));
    out.put("cdc-consumer", parse(ConsumerConfig.usage()));
    return out;
  }

  static Map<String, Flag> parse(String usage) {
    Map<String, Flag> flags = new LinkedHashMap<>();
    Matcher m = LINE.matcher(usage);
    while (m.find()) {
      flags.put(m.group(1), new Flag(m.group(1), m.group(2), m.group(3)));
    }
    if (flags.isEmpty()) {
      throw new IllegalStateException("no flags found in usage text:\n" + usage);
    }
    return flags;
  }
}
