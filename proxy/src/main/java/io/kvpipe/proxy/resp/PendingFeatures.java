package io.kvpipe.proxy.resp;

import java.util.Map;

/**
 * Commands whose store features are being built elsewhere (transactions): the one place that refuses them. Wiring a
 * feature in means removing its names here and adding the commands to {@link RespCommands}.
 */
final class PendingFeatures {
  private static final String TXN = "transactions";

  private static final Map<String, String> COMMANDS = Map.ofEntries(
      Map.entry("MULTI", TXN), Map.entry("EXEC", TXN), Map.entry("DISCARD", TXN), Map.entry("WATCH", TXN),
      Map.entry("UNWATCH", TXN));

  private PendingFeatures() {}

  /** The refusal for {@code command} (upper case), or null if it is not one of these. */
  static RespValue refusal(String command) {
    String feature = COMMANDS.get(command);
    return feature == null ? null : new RespValue.Error("ERR " + command + " is not supported yet (kvpipe has no "
        + feature + " yet)");
  }
}
