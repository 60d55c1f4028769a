package io.kvpipe.kvctl;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** One migration in flight, as kvctl shows it (read from either the migrations API or the topology snapshot). */
record MigrationView(String id, String kind, String phase, List<String> sources, List<String> targets,
                     long keysCopied, long keysTotal) {

  static MigrationView of(JsonNode m) {
    return new MigrationView(m.path("id").asText(), m.path("kind").asText(), m.path("phase").asText(),
        Json.strings(m.path("sourceGroups")), Json.strings(m.path("targetGroups")), m.path("keysCopied").asLong(),
        m.path("keysTotal").asLong());
  }

  /** Accepts {@code [...]}, {@code {"migrations":[...]}} or a whole topology snapshot. */
  static List<MigrationView> listOf(JsonNode json) {
    JsonNode array = json.isArray() ? json : json.path("migrations");
    List<MigrationView> out = new ArrayList<>();
    array.forEach(m -> out.add(of(m)));
    return out;
  }

  /** Fraction done in [0, 1]; 0 while the total is not known yet. */
  double fraction() {
    return keysTotal <= 0 ? 0 : Math.min(1.0, (double) keysCopied / keysTotal);
  }

  boolean failed() {
    return phase.equalsIgnoreCase("failed") || phase.equalsIgnoreCase("cancelled");
  }

  /** {@code [#########...........]  45.0%  4500/10000 keys}. */
  static String progressBar(double fraction, int width) {
    int filled = (int) Math.round(fraction * width);
    return "[" + "#".repeat(filled) + ".".repeat(width - filled) + "] "
        + String.format(Locale.ROOT, "%5.1f%%", fraction * 100);
  }
}
