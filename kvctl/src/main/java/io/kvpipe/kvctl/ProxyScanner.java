package io.kvpipe.kvctl;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Base64;
import java.util.List;
import java.util.function.Consumer;

/**
 * Scans a group through the proxy. The contract kvctl expects (admin token):
 * {@code GET /api/cluster/groups/{id}/scan?limit=N[&cursor=C]} →
 * {@code {"items":[{"key":"<base64 key bytes>","version":N,"deleted":false}],"next":"<opaque cursor>"|null}},
 * tombstones included, pages in any stable order, {@code next} null after the last page.
 */
final class ProxyScanner implements StoreScanner {
  private final ProxyApi api;
  private final int pageSize;

  ProxyScanner(ProxyApi api, int pageSize) {
    this.api = api;
    this.pageSize = pageSize;
  }

  @Override
  public void scan(String group, List<String> peers, Consumer<KeyState> sink) {
    String cursor = null;
    do {
      String path = "/api/cluster/groups/" + ProxyApi.segment(group) + "/scan?limit=" + pageSize
          + (cursor == null ? "" : "&cursor=" + ProxyApi.segment(cursor));
      JsonNode page = api.adminGet(path);
      for (JsonNode item : page.path("items")) {
        sink.accept(new KeyState(KeyState.keyOf(Base64.getDecoder().decode(item.path("key").asText())),
            item.path("version").asLong(), item.path("deleted").asBoolean()));
      }
      cursor = page.hasNonNull("next") ? page.get("next").asText() : null;
    } while (cursor != null);
  }

  @Override
  public String description() {
    return "proxy scan API at " + api.baseUrl();
  }
}
