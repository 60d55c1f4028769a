package io.kvpipe.systemtest;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.testsupport.check.Op;
import io.kvpipe.testsupport.robust.ScanClient.Item;
import io.kvpipe.testsupport.robust.ScanClient.Page;
import io.kvpipe.testsupport.robust.ScanClient.Scan;
import java.util.List;
import org.junit.jupiter.api.Test;

class ScanCheckTest {
  private static final String P = "r-cold-";

  private static Op put(long id, String key, String value, long call, long ret, long version) {
    return Op.put(id, 0, P + key, Op.ANY, value, call, ret, Op.Outcome.OK, version, null);
  }

  private static Scan scan(List<Page> pages) {
    return new Scan(0, pages.get(0).call(), pages.get(pages.size() - 1).ret(), pages, null);
  }

  private static Item item(String key, long version, String value) {
    return new Item(P + key, version, value);
  }

  private final List<Op> history = List.of(put(1, "1", "a", 0, 10, 5), put(2, "2", "b", 0, 10, 6),
      put(3, "3", "c", 0, 10, 7));

  @Test
  void aScanOfSettledKeysInOrderPasses() {
    ScanCheck.Result r = ScanCheck.check(List.of(scan(List.of(
        new Page(100, 110, List.of(item("1", 5, "a"), item("2", 6, "b"))),
        new Page(120, 130, List.of(item("3", 7, "c")))))), history, P);
    assertThat(r.problems()).isEmpty();
    assertThat(r.keysJudged()).isEqualTo(3);
  }

  @Test
  void aKeyReturnedTwiceAcrossPagesIsReported() {
    ScanCheck.Result r = ScanCheck.check(List.of(scan(List.of(
        new Page(100, 110, List.of(item("1", 5, "a"), item("2", 6, "b"))),
        new Page(120, 130, List.of(item("2", 6, "b"), item("3", 7, "c")))))), history, P);
    assertThat(r.problems()).singleElement().asString().contains("returned twice");
  }

  @Test
  void aSettledKeyMissedOrAValueNeverWrittenIsReported() {
    ScanCheck.Result r = ScanCheck.check(List.of(scan(List.of(
        new Page(100, 110, List.of(item("1", 5, "zzz"), item("3", 7, "c")))))), history, P);
    assertThat(r.problems()).anyMatch(p -> p.contains("r-cold-1 = zzz v5 was never written"))
        .anyMatch(p -> p.contains("missed r-cold-2"));
  }

  @Test
  void aKeyWrittenDuringTheScanIsNotJudged() {
    List<Op> h = List.of(put(1, "1", "a", 0, 10, 5), put(2, "2", "b", 0, 10, 6),
        Op.delete(3, 0, P + "2", Op.ANY, 105, 0, Op.Outcome.UNKNOWN, 0, null));
    ScanCheck.Result r = ScanCheck.check(List.of(scan(List.of(
        new Page(100, 110, List.of(item("1", 5, "a")))))), h, P);
    assertThat(r.problems()).isEmpty();
    assertThat(r.keysJudged()).isEqualTo(1);
  }

  @Test
  void aValueAtAnotherVersionThanItsPutWasGivenIsReported() {
    ScanCheck.Result r = ScanCheck.check(List.of(scan(List.of(
        new Page(100, 110, List.of(item("1", 5, "a"), item("2", 9, "b"), item("3", 7, "c")))))), history, P);
    assertThat(r.problems()).anyMatch(p -> p.contains("acknowledged at v6"));
  }
}
