package io.kvpipe.kvctl;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class SmallPartsTest {
  /** A proxy's "outcome":"unknown" (e.g. a meta command the meta group answered "already applied") is said so. */
  @Test
  void anErrorWhoseOutcomeIsUnknownSaysTheChangeMayHaveBeenMade() throws Exception {
    String body = "{\"error\":\"TIMEOUT\",\"message\":\"this request was already applied at log index 9 of group"
        + " meta\",\"outcome\":\"unknown\"}";
    ApiException unknown = ProxyApi.refusal("POST /api/cluster/groups", 504, body,
        new com.fasterxml.jackson.databind.ObjectMapper().readTree(body));
    assertThat(unknown.outcomeUnknown()).isTrue();
    assertThat(unknown.getMessage()).contains("HTTP 504 TIMEOUT: this request was already applied")
        .endsWith(ApiException.OUTCOME_UNKNOWN_HINT);
    String refused = "{\"error\":\"CONFLICT\",\"message\":\"another change is in flight\"}";
    ApiException definite = ProxyApi.refusal("POST /api/cluster/groups", 409, refused,
        new com.fasterxml.jackson.databind.ObjectMapper().readTree(refused));
    assertThat(definite.outcomeUnknown()).isFalse();
    assertThat(definite.getMessage()).doesNotContain("outcome unknown");
  }

  @Test
  void sqlStatementsSplitOutsideQuotesOnly() {
    assertThat(SqlCommand.splitStatements("SET @k = 'a;b'; SELECT \"x;\" ; ;SELECT 1"))
        .containsExactly("SET @k = 'a;b'", "SELECT \"x;\"", "SELECT 1");
    assertThat(SqlCommand.splitStatements("SELECT 'it\\'s;'")).containsExactly("SELECT 'it\\'s;'");
  }

  @Test
  void progressBarFillsInProportion() {
    assertThat(MigrationView.progressBar(0, 10)).isEqualTo("[..........]   0.0%");
    assertThat(MigrationView.progressBar(0.5, 10)).isEqualTo("[#####.....]  50.0%");
    assertThat(MigrationView.progressBar(1, 10)).isEqualTo("[##########] 100.0%");
    MigrationView m = new MigrationView("m1", "add-group", "copying", java.util.List.of("g1"), java.util.List.of("g3"),
        30, 0, 0, -1, null);
    assertThat(m.fraction()).isZero(); // total not known yet
    assertThat(m.ended()).isFalse();
    assertThat(m.eta()).isEqualTo("-");
  }

  @Test
  void aMigrationViewReadsTheApiJson() throws Exception {
    var json = ProxyApi.JSON.readTree("""
        {"migrations":[{"id":"m7","kind":"remove-group","phase":"cancelled","sourceGroups":["g2"],
         "targetGroups":["g1","g3"],"keysCopied":50,"keysTotal":200,"keysPerSecond":12.5,"etaSeconds":12,
         "error":"cancelled by an operator"}]}""");
    MigrationView m = MigrationView.listOf(json).getFirst();
    assertThat(m.targets()).containsExactly("g1", "g3");
    assertThat(m.fraction()).isEqualTo(0.25);
    assertThat(m.ended()).isTrue();
    assertThat(m.failed()).isTrue();
    assertThat(m.error()).contains("operator");
    assertThat(m.eta()).isEqualTo("-"); // ended: no ETA
  }

  @Test
  void tableAlignsColumns() {
    StringWriter s = new StringWriter();
    new Table("A", "LONGER").row("xxxx", 1).row(null, "y").print(new PrintWriter(s));
    assertThat(s.toString().lines()).containsExactly("A     LONGER", "xxxx  1", "-     y");
  }
}
