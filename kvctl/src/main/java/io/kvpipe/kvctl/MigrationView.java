package io.kvpipe.kvctl;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** One migration or membership change as kvctl shows it, read from the proxy's migrations API. */
record MigrationView(String id, String kind, String phase, List<String> sources, List<String> targets,
                     long keysCopied, long keysTotal, double keysPerSecond, long etaSeconds, String error) {
  private static final Set<String> ENDED = Set.of("done", "cancelled", "failed");

  static MigrationView of(JsonNode m) {
    return new MigrationView(m.path("id").asText(), m.path("kind").asText(), m.path("phase").asText(),
        Json.strings(m.path("sourceGroups")), Json.strings(m.path("targetGroups")), m.path("keysCopied").asLong(),
        m.path("keysTotal").asLong(), m.path("keysPerSecond").asDouble(), m.path("etaSeconds").asLong(-1),
        m.hasNonNull("error") ? m.get("error").asText() : null);
  }

  /** Accepts {@code [...]} or {@code {"migrations":[...]}}. */
  static List<MigrationView> listOf(JsonNode json) {
    JsonNode array = json.isArray() ? json : json.path("migrations");
    List<MigrationView> out = new ArrayList<>();
    array.forEach(m -> out.add(of(m)));
    return out;
  }

  /** Fraction done in [0, 1]; 0 while the total is not known yet, 1 once done. */
  double fraction() {
    if (phase.equals("done")) {
      return 1.0;
    }
    return keysTotal <= 0 ? 0 : Math.min(1.0, (double) keysCopied / keysTotal);
  }

  boolean ended() {
    return ENDED.contains(phase.toLowerCase(Locale.ROOT));
  }

  boolean failed() {
    return phase.equalsIgnoreCase("failed") || phase.equalsIgnoreCase("cancelled");
  }

  String eta() {
    return etaSeconds < 0 || ended() ? "-" : etaSeconds + " s";
  }

  /** {@code [#########...........]  45.0%}. */
  static String progressBar(double fraction, int width) {
    int filled = (int) Math.round(fraction * width);
    return "[" + "#".repeat(filled) + ".".repeat(width - filled) + "] "
        + String.format(Locale.ROOT, "%5.1f%%", fraction * 100);
  }
}
