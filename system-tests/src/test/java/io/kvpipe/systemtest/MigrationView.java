package io.kvpipe.systemtest;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/** The proxy's migration view ({@code GET /api/migrations/{id}}), with the fields the scenarios look at. */
record MigrationView(String id, String kind, String phase, String group, List<String> sourceGroups,
                     List<String> targetGroups, long fromEpoch, long toEpoch, long keysCopied, long keysTotal,
                     String coordinator, String error, boolean cancelled, String waitingFor, String json) {

  static MigrationView of(JsonNode n) {
    return new MigrationView(n.path("id").asText(), n.path("kind").asText(), n.path("phase").asText(),
        n.path("group").asText(null), strings(n.path("sourceGroups")), strings(n.path("targetGroups")),
        n.path("fromEpoch").asLong(), n.path("toEpoch").asLong(), n.path("keysCopied").asLong(),
        n.path("keysTotal").asLong(), n.path("coordinator").asText(null),
        n.path("error").isNull() ? null : n.path("error").asText(null), n.path("cancelled").asBoolean(),
        n.path("waitingFor").isNull() ? null : n.path("waitingFor").asText(null), n.toString());
  }

  boolean finished() {
    return phase.equals("done") || phase.equals("failed") || phase.equals("cancelled");
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(e -> out.add(e.asText()));
    return out;
  }

  @Override
  public String toString() {
    return json;
  }
}
