package io.kvpipe.proxy.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.ring.HashRanges;
import io.kvpipe.common.wire.Entry;
import io.kvpipe.common.wire.Reply;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class ScanMergeTest {
  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static Entry live(String k, long version) {
    return new Entry(b(k), b("v" + version), version);
  }

  static Entry dead(String k, long version) {
    return new Entry(b(k), null, version);
  }

  static Reply.KeyPage page(boolean more, Entry... entries) {
    return new Reply.KeyPage(1, HashRanges.FULL, List.of(entries), more);
  }

  /** Keys starting with a letter up to 'm' belong to g1, the rest to g2; keys in {@code moving} move g1 -> g2. */
  record Owners(List<String> moving, boolean newerOfBoth) implements ScanMerge.Owners {
    Owners() {
      this(List.of(), false);
    }

    @Override
    public String owner(byte[] key) {
      String k = new String(key, StandardCharsets.UTF_8);
      return moving.contains(k) || k.charAt(0) > 'm' ? "g2" : "g1";
    }

    @Override
    public String fallback(byte[] key) {
      return moving.contains(new String(key, StandardCharsets.UTF_8)) ? "g1" : null;
    }
  }

  static List<String> keys(ScanMerge.Result r) {
    return r.items().stream().map(Entry::keyString).toList();
  }

  @Test
  void pagesMergeInKeyOrderUpToTheSmallestLastKeyOfAGroupWithMore() {
    Map<String, Reply.KeyPage> pages = Map.of(
        "g1", page(true, live("a", 1), live("c", 2), live("e", 3)),
        "g2", page(false, live("n", 4), live("p", 5)));
    ScanMerge.Result r = ScanMerge.merge(pages, new Owners(), 100, Long.MAX_VALUE);
    // g2 is exhausted, g1 may hold more after e: n and p wait for the next round.
    assertThat(keys(r)).containsExactly("a", "c", "e");
    assertThat(r.resumeFrom()).isEqualTo(b("e\u0000"));

    ScanMerge.Result end = ScanMerge.merge(Map.of("g1", page(false, live("f", 6)),
        "g2", page(false, live("n", 4), live("p", 5))), new Owners(), 100, Long.MAX_VALUE);
    assertThat(keys(end)).containsExactly("f", "n", "p");
    assertThat(end.resumeFrom()).isNull();
  }

  @Test
  void tombstonesAndRecordsOfKeysAGroupDoesNotOwnAreLeftOut() {
    Map<String, Reply.KeyPage> pages = Map.of(
        "g1", page(false, live("a", 1), dead("b", 2), live("z", 1)), // z: an unpurged copy on g1
        "g2", page(false, live("b", 1), live("z", 3)));              // b: an unpurged copy on g2
    assertThat(keys(ScanMerge.merge(pages, new Owners(), 100, Long.MAX_VALUE))).containsExactly("a", "z");
  }

  @Test
  void aMovingKeyIsTakenFromItsNewOwnerElseFromItsOldOneAndTheNewerDuringACancelsInverse() {
    Owners moving = new Owners(List.of("c", "d", "e"), false);
    Map<String, Reply.KeyPage> pages = Map.of(
        // Old owner, fenced: c copied already, d not yet, e deleted on the new owner after its copy.
        "g1", page(false, live("c", 1), live("d", 2), live("e", 3)),
        "g2", page(false, live("c", 1), dead("e", 9)));
    ScanMerge.Result r = ScanMerge.merge(pages, moving, 100, Long.MAX_VALUE);
    assertThat(keys(r)).containsExactly("c", "d");
    assertThat(r.items().get(1).version()).isEqualTo(2);

    Owners inverse = new Owners(List.of("c"), true);
    Map<String, Reply.KeyPage> cancel = Map.of("g1", page(false, live("c", 7)), "g2", page(false, live("c", 3)));
    assertThat(ScanMerge.merge(cancel, inverse, 100, Long.MAX_VALUE).items().get(0).version()).isEqualTo(7);
  }

  @Test
  void theLimitAndTheByteBoundStopAPageAtAKeyTheNextRoundStartsWith() {
    Map<String, Reply.KeyPage> pages = Map.of("g1", page(false, live("a", 1), dead("b", 1), live("c", 2),
        live("d", 3)));
    ScanMerge.Result two = ScanMerge.merge(pages, new Owners(), 2, Long.MAX_VALUE);
    assertThat(keys(two)).containsExactly("a", "c");
    assertThat(two.resumeFrom()).isEqualTo(b("d"));
    // Each value is 2 bytes ("v1"): 3 bytes take one; the first always fits.
    ScanMerge.Result bytes = ScanMerge.merge(pages, new Owners(), 10, 3);
    assertThat(keys(bytes)).containsExactly("a");
    assertThat(bytes.valueBytes()).isEqualTo(2);
    assertThat(bytes.resumeFrom()).isEqualTo(b("c"));
    assertThat(keys(ScanMerge.merge(pages, new Owners(), 10, 0))).containsExactly("a");
  }

  /** Random stores split over two groups, read in random page sizes: every round trip yields each live key once. */
  @Test
  void pagingThroughRandomGroupsReturnsEveryLiveKeyOnceInOrder() {
    Random rnd = new Random(17);
    for (int trial = 0; trial < 200; trial++) {
      Map<String, TreeMap<String, Entry>> stores = Map.of("g1", new TreeMap<>(), "g2", new TreeMap<>());
      TreeMap<String, Entry> truth = new TreeMap<>();
      Owners owners = new Owners();
      for (int i = 0; i < rnd.nextInt(60); i++) {
        String k = (char) ('a' + rnd.nextInt(26)) + Integer.toString(rnd.nextInt(50));
        Entry e = rnd.nextInt(4) == 0 ? dead(k, i + 1) : live(k, i + 1);
        stores.get(owners.owner(b(k))).put(k, e);
        // Leftovers on the other group must not show.
        stores.get(owners.owner(b(k)).equals("g1") ? "g2" : "g1").putIfAbsent(k, live(k, 0));
        truth.put(k, e);
      }
      List<String> expected = truth.values().stream().filter(e -> !e.deleted()).map(Entry::keyString).toList();
      List<String> got = new ArrayList<>();
      byte[] from = new byte[0];
      int rounds = 0;
      while (from != null) {
        int pageLimit = 1 + rnd.nextInt(5);
        Map<String, Reply.KeyPage> pages = new LinkedHashMap<>();
        for (var s : stores.entrySet()) {
          String fromKey = new String(from, StandardCharsets.UTF_8);
          List<Entry> tail = new ArrayList<>(s.getValue().tailMap(fromKey, true).values());
          boolean more = tail.size() > pageLimit;
          pages.put(s.getKey(), new Reply.KeyPage(1, HashRanges.FULL, tail.subList(0, Math.min(pageLimit,
              tail.size())), more));
        }
        ScanMerge.Result r = ScanMerge.merge(pages, owners, 1 + rnd.nextInt(4), Long.MAX_VALUE);
        r.items().forEach(e -> got.add(e.keyString()));
        if (r.resumeFrom() != null) {
          assertThat(Arrays.compareUnsigned(r.resumeFrom(), from)).as("progress").isPositive();
        }
        from = r.resumeFrom();
        assertThat(++rounds).isLessThan(1000);
      }
      assertThat(got).as("trial " + trial).isEqualTo(expected);
    }
  }

  @Test
  void prefixEndsAndSuccessors() {
    assertThat(ScanMerge.prefixEnd(b("user/"))).isEqualTo(b("user0"));
    assertThat(ScanMerge.prefixEnd(new byte[] {'a', (byte) 0xFF})).isEqualTo(b("b"));
    assertThat(ScanMerge.prefixEnd(new byte[] {(byte) 0xFF})).isNull();
    assertThat(ScanMerge.prefixEnd(new byte[0])).isNull();
    assertThat(ScanMerge.successor(b("a"))).isEqualTo(new byte[] {'a', 0});
  }

  @Test
  void tokensRoundTripAndAreCheckedAgainstTheScansBounds() {
    String t = ScanToken.encode(b("user/42\u0000"));
    assertThat(t).doesNotContain("=", "+", "/");
    assertThat(ScanToken.decode(t, b("user/"), b("user0"))).isEqualTo(b("user/42\u0000"));
    assertThat(ScanToken.decode(t, new byte[0], null)).isEqualTo(b("user/42\u0000"));
    for (String bad : List.of("!!", "", ScanToken.encode(b("a")).replaceFirst("^.", "B"))) {
      assertThatThrownBy(() -> ScanToken.decode(bad, new byte[0], null)).isInstanceOf(KvException.class)
          .hasMessageContaining("continuation token");
    }
    assertThatThrownBy(() -> ScanToken.decode(t, b("v"), null)).hasMessageContaining("does not belong");
    assertThatThrownBy(() -> ScanToken.decode(t, b("a"), b("user/4"))).hasMessageContaining("does not belong");
    assertThatThrownBy(() -> ScanToken.decode(ScanToken.encode(new byte[600]), new byte[0], null))
        .hasMessageContaining("too long");
  }

  @Test
  void parametersAreCheckedWithAClearError() {
    ScanApi.Params p = ScanApi.parse(("prefix=user%2F&limit=5&values=true"));
    assertThat(p.start()).isEqualTo(b("user/"));
    assertThat(p.end()).isEqualTo(b("user0"));
    assertThat(p.from()).isEqualTo(b("user/"));
    assertThat(p.limit()).isEqualTo(5);
    assertThat(p.values()).isTrue();
    ScanApi.Params range = ScanApi.parse(("start=a&end=b"));
    assertThat(range.limit()).isEqualTo(ScanApi.DEFAULT_LIMIT);
    assertThat(range.values()).isFalse();
    ScanApi.Params everything = ScanApi.parse((""));
    assertThat(everything.start()).isEmpty();
    assertThat(everything.end()).isNull();
    String token = ScanToken.encode(b("a5"));
    assertThat(ScanApi.parse(("start=a&end=b&token=" + token)).from()).isEqualTo(b("a5"));

    String[][] bad = {
        {"prefix=a&start=b", "either prefix or start/end"},
        {"start=b&end=a", "start must sort before end"},
        {"start=a&end=a", "start must sort before end"},
        {"limit=0", "limit must be within 1..1000"},
        {"limit=1001", "limit must be within 1..1000"},
        {"limit=ten", "must be an integer"},
        {"limit=5&limit=6", "given twice"},
        {"prefx=a", "unknown query parameter 'prefx'"},
        {"prefix=%FF", "prefix:"},
        {"prefix=%zz", "prefix:"},
        {"values=yes", "values must be true or false"},
        {"consistency=stale", "not supported"},
        {"prefix=" + "x".repeat(513), "prefix:"},
        {"start=c&token=" + token, "does not belong"},
    };
    for (String[] c : bad) {
      assertThatThrownBy(() -> ScanApi.parse(c[0])).as(c[0])
          .isInstanceOf(KvException.class).hasMessageContaining(c[1])
          .satisfies(e -> assertThat(((KvException) e).code()).isIn(ErrorCode.MALFORMED_REQUEST,
              ErrorCode.INVALID_KEY));
    }
  }
}
