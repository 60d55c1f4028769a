package io.kvpipe.systemtest;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.testsupport.check.Op;
import io.kvpipe.testsupport.robust.TtlClient.Write;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TtlCheckTest {
  private static Write ok(long id, String value, long ttl, long call, long ret, boolean created) {
    return new Write(id, "k", value, ttl, Op.Outcome.OK, id * 10, created, call, ret, null);
  }

  // v1 (ttl 1 s) replaced at 500 ms, before its deadline; v2 (ttl 1 s) left to expire at ~1.5 s.
  private final List<Write> writes = List.of(ok(1, "v1", 1_000, 0, 10, true), ok(2, "v2", 1_000, 490, 500, false));

  @Test
  void theLastPutExpiredOnceAndReadsAsGonePasses() {
    TtlCheck.Result r = TtlCheck.check(writes, List.of(new TtlCheck.FinalRead("k", false, null, 5_000)),
        Map.of("k", List.of("v2")));
    assertThat(r.problems()).isEmpty();
    assertThat(r.expectedExpired()).isEqualTo(1);
    assertThat(TtlCheck.mustBeGone(writes, List.of("k"), 5_000)).containsExactly("k");
  }

  @Test
  void aKeyStillReadAfterItsDeadlineIsReported() {
    TtlCheck.Result r = TtlCheck.check(writes, List.of(new TtlCheck.FinalRead("k", true, "v2", 5_000)),
        Map.of("k", List.of("v2")));
    assertThat(r.problems()).singleElement().asString().contains("reads v2 after every possible last put's deadline");
  }

  @Test
  void aMissingDuplicatedOrWrongExpiryIsReported() {
    List<TtlCheck.FinalRead> gone = List.of(new TtlCheck.FinalRead("k", false, null, 5_000));
    assertThat(TtlCheck.check(writes, gone, Map.of()).problems()).singleElement().asString()
        .contains("0 expiry rows");
    assertThat(TtlCheck.check(writes, gone, Map.of("k", List.of("v2", "v2"))).problems())
        .anyMatch(p -> p.contains("archived 2 times"));
    assertThat(TtlCheck.check(writes, gone, Map.of("k", List.of("v1", "v2"))).problems()).singleElement()
        .asString().contains("replaced it before its deadline");
  }

  @Test
  void aKeyWhoseLastPutHadNoTtlMustKeepIt() {
    List<Write> w = List.of(ok(1, "v1", 1_000, 0, 10, true), ok(2, "v2", 0, 490, 500, false));
    assertThat(TtlCheck.check(w, List.of(new TtlCheck.FinalRead("k", false, null, 5_000)), Map.of()).problems())
        .singleElement().asString().contains("had no TTL");
  }

  @Test
  void aPutOfUnknownOutcomeAfterTheLastLeavesTheKeyUndecided() {
    List<Write> w = List.of(ok(1, "v1", 1_000, 0, 10, true),
        new Write(2, "k", "v2", 0, Op.Outcome.UNKNOWN, 0, null, 490, 5_490, "504"));
    assertThat(TtlCheck.check(w, List.of(new TtlCheck.FinalRead("k", true, "v2", 9_000)), Map.of()).problems())
        .isEmpty();
  }
}
