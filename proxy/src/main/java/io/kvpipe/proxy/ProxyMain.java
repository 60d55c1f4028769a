package io.kvpipe.proxy;

import io.kvpipe.common.config.ConfigDef;
import io.kvpipe.common.config.LoadedConfig;
import io.kvpipe.common.config.LogFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Entry point: parse the config (flags, env defaults), print it with secrets masked, serve until terminated. */
public final class ProxyMain {
  private static final Logger LOG = LoggerFactory.getLogger(ProxyMain.class);

  private ProxyMain() {}

  public static void main(String[] args) throws Exception {
    if (ConfigDef.wantsHelp(args)) {
      System.out.print(ProxyConfigParser.usage());
      return;
    }
    LoadedConfig<ProxyConfig> loaded;
    try {
      LogFormat.check(System.getenv());
      loaded = ProxyConfigParser.load(args, System.getenv());
    } catch (IllegalArgumentException e) {
      System.err.println("proxy: " + e.getMessage());
      System.exit(2);
      return;
    }
    ProxyConfig config = loaded.config();
    loaded.settings().warnings().forEach(LOG::warn);
    // Through the logger, as one event: with KVPIPE_LOG_FORMAT=json stdout stays one JSON object per line.
    LOG.info("kvpipe proxy starting with:\n{}", loaded.settings().describe());
    if (config.tokens().onCommandLine()) {
      LOG.warn("a token was given on the command line, where anyone who can list processes reads it: use"
          + " KVPIPE_TOKEN / KVPIPE_ADMIN_TOKEN or --data-token-file / --admin-token-file");
    }
    ProxyServer proxy = new ProxyServer(config);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        proxy.close();
      } catch (Exception e) {
        LOG.warn("shutdown failed: {}", e.toString());
      }
    }, "proxy-shutdown"));
    try {
      proxy.start();
    } catch (Exception e) {
      LOG.error("proxy failed to start", e);
      System.exit(1);
    }
    LOG.info("kvpipe proxy listening on {}{}:{}{}", config.httpTls().isPresent() ? "https://" : "http://",
        config.listenHost(), proxy.port(), proxy.respPort() >= 0 ? ", RESP on port " + proxy.respPort() : "");
    Thread.currentThread().join();
  }
}
