package io.kvpipe.proxy.resp;

import java.util.Map;

/**
 * Commands and SET options whose store features are being built elsewhere (TTL; transactions): the one place that
 * refuses them. Wiring a feature in means removing its names here and adding the commands to {@link RespCommands}.
 */
final class PendingFeatures {
  private static final String TTL = "TTL (expiry)";
  private static final String TXN = "transactions";

  private static final Map<String, String> COMMANDS = Map.ofEntries(
      Map.entry("EXPIRE", TTL), Map.entry("PEXPIRE", TTL), Map.entry("EXPIREAT", TTL), Map.entry("PEXPIREAT", TTL),
      Map.entry("EXPIRETIME", TTL), Map.entry("PEXPIRETIME", TTL), Map.entry("TTL", TTL), Map.entry("PTTL", TTL),
      Map.entry("PERSIST", TTL), Map.entry("SETEX", TTL), Map.entry("PSETEX", TTL), Map.entry("GETEX", TTL),
      Map.entry("MULTI", TXN), Map.entry("EXEC", TXN), Map.entry("DISCARD", TXN), Map.entry("WATCH", TXN),
      Map.entry("UNWATCH", TXN));

  /** SET options that need TTL. */
  private static final java.util.Set<String> SET_OPTIONS = java.util.Set.of("EX", "PX", "EXAT", "PXAT", "KEEPTTL");

  private PendingFeatures() {}

  /** The refusal for {@code command} (upper case), or null if it is not one of these. */
  static RespValue refusal(String command) {
    String feature = COMMANDS.get(command);
    return feature == null ? null : new RespValue.Error("ERR " + command + " is not supported yet (kvpipe has no "
        + feature + " yet)");
  }

  static boolean isSetOption(String upperOption) {
    return SET_OPTIONS.contains(upperOption);
  }

  static RespException setOption(String upperOption) {
    return RespException.err("SET " + upperOption + " is not supported yet (kvpipe has no " + TTL + " yet)");
  }
}
