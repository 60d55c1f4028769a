package io.kvpipe.kvctl;

import io.kvpipe.client.RaftTls;
import io.kvpipe.client.RetryWindow;
import io.kvpipe.client.ShardGroupClient;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.ring.HashRanges;
import io.kvpipe.common.wire.Entry;
import io.kvpipe.common.wire.PeerAddress;
import io.kvpipe.common.wire.Reply;
import io.kvpipe.common.wire.ScanCursor;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

/**
 * Scans a group straight from its replicas over Ratis (linearizable reads), with the peer addresses the topology
 * gives: needs network access to the kv-nodes (true for the local dev stack, not for a Docker stack seen from the host).
 */
final class RatisScanner implements StoreScanner {
  private static final Duration RPC_TIMEOUT = Duration.ofSeconds(3);

  private final int pageSize;
  private final Duration timeout;
  private final RaftTls tls;

  RatisScanner(int pageSize, Duration timeout, RaftTls tls) {
    this.pageSize = pageSize;
    // A scan page is a read, but no Ratis client may resend past what the replicas remember (RetryWindow).
    Duration longest = RetryWindow.MAX_CLIENT_WINDOW.minus(RPC_TIMEOUT);
    this.timeout = timeout.compareTo(longest) > 0 ? longest : timeout;
    this.tls = tls;
  }

  @Override
  public void scan(String group, List<String> peers, Consumer<KeyState> sink) {
    List<PeerAddress> addresses = peers.stream().map(PeerAddress::parse).toList();
    try (ShardGroupClient client = ShardGroupClient.builder(group, addresses).operationTimeout(timeout).rpcTimeout(RPC_TIMEOUT).tls(tls)
        .build()) {
      ScanCursor cursor = null;
      do {
        Reply.ScanPage page = client.scan(HashRanges.FULL, cursor, pageSize);
        for (Entry e : page.entries()) {
          sink.accept(new KeyState(KeyState.keyOf(e.key()), e.version(), e.deleted()));
        }
        cursor = page.next();
      } while (cursor != null);
    } catch (KvException e) {
      throw new KvctlException(ExitCodes.SERVER_ERROR, "cannot scan group " + group + " over Ratis at " + peers
          + ": " + e.getMessage(), e);
    }
  }

  @Override
  public String description() {
    return "Ratis scan of each group's replicas";
  }
}
