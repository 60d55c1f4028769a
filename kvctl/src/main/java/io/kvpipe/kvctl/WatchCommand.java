package io.kvpipe.kvctl;

import io.kvpipe.common.watch.SseReader;
import io.kvpipe.common.watch.WatchEvent;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code kvctl watch PREFIX}: follows {@code GET /v1/watch} and prints one line per change (version, op, key, value).
 * When the stream ends (the proxy restarted, cut the watcher off as too slow, or the connection dropped) it resumes
 * from the last position it received, so no change is printed twice or skipped. A refusal (401, 400, 404, 410), or no
 * answer to the first request, ends it (exit 3).
 */
@Command(name = "watch", description = "Follow the changes of every key starting with PREFIX (or one key with --key) "
    + "as they happen; resumes by itself after a dropped stream.")
final class WatchCommand extends KvctlCommand {
  @Parameters(index = "0", paramLabel = "PREFIX", description = "key prefix (\"\" for every key)")
  String prefix;

  @Option(names = "--key", description = "PREFIX is one exact key")
  boolean exactKey;

  @Option(names = "--from", paramLabel = "POSITION", description = "resume after this position (an id printed by "
      + "--json, or by a previous stream)")
  String from;

  @Option(names = "--count", defaultValue = "0", description = "exit after this many changes (0 = never)")
  long count;

  @Override
  public Integer call() {
    if (count < 0) {
      throw new KvctlException(ExitCodes.USAGE, "--count must be >= 0");
    }
    ProxyApi api = cluster.api();
    String path = "/v1/watch?" + (exactKey ? "key=" : "prefix=") + ProxyApi.segment(prefix);
    String position = from;
    long printed = 0;
    boolean connected = false;
    while (true) {
      try (InputStream in = api.stream(path, position)) {
        connected = true;
        SseReader sse = new SseReader(in);
        SseReader.Event e;
        while ((e = sse.next()) != null) {
          switch (e.event()) {
            case "change" -> {
              print(WatchEvent.parse(e));
              position = e.id();
              if (count > 0 && ++printed >= count) {
                return ExitCodes.OK;
              }
            }
            case "ready", "progress" -> position = e.id();
            case "error" -> err().println("kvctl: the proxy ended the stream: " + e.data() + "; resuming");
            default -> { }
          }
        }
      } catch (ApiException refused) {
        if (refused.status() != 503 || !connected) {
          throw refused;
        }
        err().println("kvctl: " + refused.getMessage() + "; retrying");
      } catch (IOException | KvctlException dropped) {
        if (!connected) {
          throw dropped instanceof KvctlException k ? k
              : new KvctlException(ExitCodes.SERVER_ERROR, "watch failed: " + dropped.getMessage(), dropped);
        }
        err().println("kvctl: stream dropped (" + dropped.getMessage() + "); resuming");
      }
      err().flush();
      LockSupport.parkNanos(Duration.ofSeconds(1).toNanos()); // reconnect backoff
    }
  }

  private void print(WatchEvent e) {
    if (json()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("key", e.key());
      m.put("op", e.op());
      m.put("value", e.value() == null ? null : Base64.getEncoder().encodeToString(e.value()));
      m.put("version", e.version());
      m.put("position", e.position());
      try {
        out().println(ProxyApi.JSON.writeValueAsString(m));
      } catch (com.fasterxml.jackson.core.JsonProcessingException ex) {
        throw new KvctlException(ExitCodes.SERVER_ERROR, "cannot print JSON: " + ex.getOriginalMessage(), ex);
      }
    } else {
      out().println(e.version() + " " + e.op() + " " + e.key() + (e.value() == null ? "" : " " + show(e.value())));
    }
    out().flush();
  }

  /** The value as text when it is printable UTF-8, else {@code base64:...}. */
  static String show(byte[] value) {
    try {
      String s = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(value)).toString();
      if (s.chars().noneMatch(c -> Character.isISOControl(c) && c != '\t')) {
        return s;
      }
    } catch (CharacterCodingException notText) {
      // shown as base64 below
    }
    return "base64:" + Base64.getEncoder().encodeToString(value);
  }
}
