package io.kvpipe.node;

import io.kvpipe.common.config.ConfigDef;
import io.kvpipe.common.config.LoadedConfig;
import io.kvpipe.common.config.LogFormat;
import io.kvpipe.node.raft.RoleChangeClasses;
import java.io.IOException;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Entry point of the kv-node process: parse the configuration, print it, serve until SIGTERM. */
public final class KvNodeMain {
  private static final Logger LOG = LoggerFactory.getLogger(KvNodeMain.class);

  private KvNodeMain() {}

  public static void main(String[] args) {
    if (ConfigDef.wantsHelp(args)) {
      System.out.print(NodeConfig.usage());
      return;
    }
    LoadedConfig<NodeConfig> loaded;
    try {
      LogFormat.check(System.getenv());
      loaded = NodeConfig.load(args, System.getenv());
    } catch (IllegalArgumentException e) {
      System.err.println("kv-node: " + e.getMessage());
      System.exit(2);
      return;
    }
    NodeConfig config = loaded.config();
    loaded.settings().warnings().forEach(LOG::warn);
    // Through the logger, as one event: with KVPIPE_LOG_FORMAT=json stdout stays one JSON object per line.
    LOG.info("kv-node {} starting with:\n{}  (derived) raft-transport={}", config.nodeId(),
        loaded.settings().describe(), config.raftTransportDescription());
    KvNode node;
    try {
      node = KvNode.start(config);
    } catch (IOException | RuntimeException e) {
      LOG.error("kv-node {} failed to start", config.nodeId(), e);
      System.exit(1);
      return;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      LOG.info("kv-node {} stopping", config.nodeId());
      try {
        node.close();
      } catch (IOException e) {
        LOG.warn("kv-node {} did not close cleanly", config.nodeId(), e);
      }
      stopped.countDown();
    }, "kv-node-shutdown"));
    LOG.info("kv-node {} serving {} configured group(s) on {}:{}{}", config.nodeId(), config.groups().size(),
        config.listenHost(), config.listenPort(), config.followsTopology() ? ", following the topology" : "");
    LOG.info("kv-node {} ready", config.nodeId());
    RoleChangeClasses.preloadInBackground();
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
