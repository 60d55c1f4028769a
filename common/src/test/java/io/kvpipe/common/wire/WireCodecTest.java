package io.kvpipe.common.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.ring.HashRange;
import io.kvpipe.common.ring.HashRanges;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class WireCodecTest {
  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static final HashRanges RANGES = HashRanges.of(List.of(new HashRange(0, 10), new HashRange(100, 1L << 32)));

  static List<Request> sampleRequests() {
    return List.of(
        new Command.Put(b("k"), b("v"), Request.ANY_VERSION),
        new Command.Put(b("k"), new byte[0], 0),
        new Command.Delete(b("key"), 42),
        new Command.Put(b("k"), b("v"), Request.ANY_VERSION, 30_000),
        new Command.Batch(List.of(new Command.Put(b("a"), b("1"), 7, 1), new Command.Delete(b("b"), 7))),
        new Command.SetTtl(b("k"), 0, Request.ANY_VERSION),
        new Command.SetTtl(b("k"), 5_000, 9),
        new Command.Expire(List.of(new Command.Due(b("a"), 1L << 40 | 9, 1_795_320_000_000L),
            new Command.Due(b("b"), 3, 1))),
        new Command.MigrateIn(List.of(new Entry(b("t"), b("1"), 9, 1_795_320_000_000L), new Entry(b("u"), b("2"), 9)),
            new MigrationToken("m", 6)),
        new Command.ConfirmPublished(7),
        new Command.SetOwnership(3, RANGES),
        new Command.SetOwnership(4, HashRanges.EMPTY),
        new Command.PublishSnapshot(),
        new Command.PutAll(List.of(new Command.KeyValue(b("a"), b("1")), new Command.KeyValue(b("b"), new byte[0]))),
        new Command.PutAll(List.of()),
        new Command.MigrateIn(List.of(new Entry(b("a"), b("1"), 1L << 40 | 9), new Entry(b("gone"), null, 12))),
        new Command.MigrateIn(List.of()),
        new Command.PurgeUnowned(2000),
        new Command.CollectTombstones(RANGES, 100_000),
        new Command.CollectTombstones(HashRanges.EMPTY, 1),
        new Command.Batch(List.of(new Command.Put(b("a"), b("1"), Request.ANY_VERSION), new Command.Delete(b("b"), 7))),
        new Command.Batch(List.of(new Command.Delete(b("only"), Request.ANY_VERSION))),
        new Query.Batch(List.of(new Query.Get(b("a")), new Query.FallbackGet(b("b")), new Query.Get(b("a")))),
        new Command.SetOwnership(5, RANGES, "add-group-g3-x1"),
        new Command.MigrateIn(List.of(new Entry(b("a"), b("1"), 9)), new MigrationToken("add-group-g3-x1", 5)),
        new Command.PurgeUnowned(10, new MigrationToken("m", 6)),
        new Command.CollectTombstones(RANGES, 7, new MigrationToken("m", 6)),
        new Command.Txn(List.of(new Command.Compare(b("a"), Command.Compare.Target.VALUE, b("1"), 0),
            new Command.Compare(b("b"), Command.Compare.Target.VERSION, null, 7),
            new Command.Compare(b("c"), Command.Compare.Target.EXISTS, null, 0),
            new Command.Compare(b("d"), Command.Compare.Target.MISSING, null, 0)),
            List.of(new Command.Put(b("a"), b("2"), Request.ANY_VERSION), new Query.Get(b("a")),
                new Command.Delete(b("b"), Request.ANY_VERSION)),
            List.of(new Query.Get(b("c")))),
        new Command.Txn(List.of(), List.of(), List.of(new Command.Put(b("x"), new byte[0], Request.ANY_VERSION))),
        new Query.Get(b("k")),
        new Query.FallbackGet(b("moved")),
        new Query.BatchGet(List.of(b("a"), b("b"))),
        new Query.Scan(HashRanges.FULL, null, 100),
        new Query.Scan(RANGES, new ScanCursor(5, b("x")), 1),
        new Query.KeyScan(b("user/"), b("user0"), 100, true, 4 << 20),
        new Query.KeyScan(new byte[0], null, 1, false, 1),
        new Command.OpenExport("backup-1"),
        new Command.CloseExport("backup-1"),
        new Query.ExportPage("backup-1", 1L << 33, 2000, 4 << 20),
        new Query.Status(),
        // With request ids (see RequestId): each op of a group commit carries its own.
        new Command.Put(b("k"), b("v"), Request.ANY_VERSION, 0, "req-1"),
        new Command.Put(b("k"), b("v"), 3, 30_000, "x".repeat(RequestId.MAX_LENGTH)),
        new Command.Delete(b("k"), 4, "A.b_c:d-9"),
        new Command.SetTtl(b("k"), 5_000, 9, "ttl-1"),
        new Command.Batch(List.of(new Command.Put(b("a"), b("1"), 7, 0, "r1"), new Command.Delete(b("b"), 7),
            new Command.Delete(b("c"), 7, "r3"))),
        new Command.Txn(List.of(), List.of(new Command.Put(b("x"), b("1"), Request.ANY_VERSION)), List.of(), "t-1"),
        new Query.Get(b("k"), "g-1"),
        new Query.FallbackGet(b("k"), "f-1"),
        new Query.Batch(List.of(new Query.Get(b("a"), "g-1"), new Query.Get(b("b")), new Query.FallbackGet(b("c"),
            "g-3"))));
  }

  static List<Reply> sampleReplies() {
    return List.of(
        new Reply.Written(1L << 40 | 5, null),
        new Reply.Written(9, b("old")),
        new Reply.Found(null),
        new Reply.Found(new Entry(b("k"), b("v"), 3)),
        new Reply.Found(new Entry(b("k"), null, 4)),
        new Reply.Found(new Entry(b("k"), b("v"), 5, 1_795_320_000_000L)),
        new Reply.FoundMany(Arrays.asList(new Entry(b("a"), b("1"), 1), null)),
        new Reply.ScanPage(List.of(new Entry(b("a"), null, 1)), new ScanCursor(77, b("a"))),
        new Reply.ScanPage(List.of(), null),
        new Reply.KeyPage(3, RANGES, List.of(new Entry(b("a"), b(""), 1), new Entry(b("b"), null, 2)), true),
        new Reply.KeyPage(1, HashRanges.EMPTY, List.of(), false),
        new Reply.Confirmed(12),
        new Reply.Migrated(1990, 10),
        new Reply.Purged(0, false),
        new Reply.Purged(100_000, true),
        new Reply.SnapshotPublished(40, 12_345),
        new Reply.Ownership(2, RANGES),
        new Reply.ExportOpened("backup-1", 99, 4, RANGES, 123_456),
        new Reply.Status(1, HashRanges.FULL, 10, 5, 3, 300, 7),
        new Reply.Failure(ErrorCode.VERSION_MISMATCH, "expected 3, found 4"),
        new Reply.Txn(true, List.of(new Reply.Written(5, b("old")), new Reply.Found(new Entry(b("k"), b("v"), 5)),
            new Reply.Found(null))),
        new Reply.Txn(false, List.of()),
        new Reply.Batch(List.of(new Reply.Written(5, null), new Reply.Failure(ErrorCode.WRONG_GROUP, "not mine"),
            new Reply.Found(new Entry(b("k"), b("v"), 3)), new Reply.Found(null))));
  }

  @Test
  void requestsRoundTrip() {
    for (Request r : sampleRequests()) {
      assertThat(WireCodec.decodeRequest(WireCodec.encode(r))).usingRecursiveComparison().isEqualTo(r);
    }
  }

  @Test
  void repliesRoundTrip() {
    for (Reply r : sampleReplies()) {
      assertThat(WireCodec.decodeReply(WireCodec.encode(r))).usingRecursiveComparison().isEqualTo(r);
    }
  }

  @Test
  void everyTruncationIsMalformedNotACrash() {
    for (Request r : sampleRequests()) {
      byte[] full = WireCodec.encode(r);
      for (int len = 0; len < full.length; len++) {
        byte[] cut = Arrays.copyOf(full, len);
        assertThatThrownBy(() -> WireCodec.decodeRequest(cut))
            .isInstanceOf(KvException.class)
            .extracting(e -> ((KvException) e).code()).isEqualTo(ErrorCode.MALFORMED_REQUEST);
      }
    }
  }

  @Test
  void trailingBytesWrongFormatAndUnknownTypeAreRejected() {
    byte[] ok = WireCodec.encode(new Query.Get(b("k")));
    byte[] trailing = Arrays.copyOf(ok, ok.length + 1);
    byte[] wrongFormat = ok.clone();
    wrongFormat[0] = 99;
    byte[] unknownType = ok.clone();
    unknownType[1] = (byte) 200;
    for (byte[] bad : List.of(trailing, wrongFormat, unknownType)) {
      assertThatThrownBy(() -> WireCodec.decodeRequest(bad)).isInstanceOf(KvException.class)
          .hasMessageContaining("malformed");
    }
  }

  /**
   * Entries as nodes wrote them before request ids existed (bytes spelled out, not produced by today's encoder): a
   * replica replays its Raft log after an upgrade, so they must decode, with no id. An op without an id is still
   * encoded exactly so.
   */
  @Test
  void entriesWrittenBeforeRequestIdsDecodeWithoutAnId() {
    java.util.HexFormat hex = java.util.HexFormat.of();
    // format 1, PUT(1): key "k", value "v", expected version -1
    byte[] put = hex.parseHex("0101" + "000000016b" + "0000000176" + "ffffffffffffffff");
    // format 1, BATCH(10) of 2: PUT a=1 (20 bytes), DELETE b expected 7 (15 bytes)
    byte[] batch = hex.parseHex("010a00000002" + "00000014" + "0101" + "0000000161" + "0000000131" + "ffffffffffffffff"
        + "0000000f" + "0102" + "0000000162" + "0000000000000007");
    // format 1, READ_BATCH(25) of 1: GET(20) "a" (7 bytes)
    byte[] reads = hex.parseHex("011900000001" + "00000007" + "0114" + "0000000161");

    Command.Put p = (Command.Put) WireCodec.decodeRequest(put);
    assertThat(p.key()).isEqualTo(b("k"));
    assertThat(p.expectedVersion()).isEqualTo(Request.ANY_VERSION);
    assertThat(p.requestId()).isNull();
    Command.Batch decoded = (Command.Batch) WireCodec.decodeRequest(java.nio.ByteBuffer.wrap(batch));
    assertThat(decoded.ops()).hasSize(2).allSatisfy(op -> assertThat(((Traced) op).requestId()).isNull());
    assertThat(((Command.Delete) decoded.ops().get(1)).expectedVersion()).isEqualTo(7);
    Query.Batch q = (Query.Batch) WireCodec.decodeRequest(reads);
    assertThat(((Query.Get) q.reads().get(0)).requestId()).isNull();

    assertThat(WireCodec.encode(p)).isEqualTo(put);
    assertThat(WireCodec.encode(decoded)).isEqualTo(batch);
    assertThat(WireCodec.encode(q)).isEqualTo(reads);
  }

  @Test
  void aRequestIdCostsItsLengthAndTwoBytes() {
    Command.Put plain = new Command.Put(b("k"), b("v"), 1);
    Command.Put traced = new Command.Put(b("k"), b("v"), 1, 0, "0123456789abcdef");
    assertThat(WireCodec.encode(traced).length - WireCodec.encode(plain).length).isEqualTo(2 + 16);
  }

  @Test
  void badRequestIdsAreMalformedOnTheWireAndRefusedByTheRecords() {
    byte[] put = WireCodec.encode(new Command.Put(b("k"), b("v"), 1)); // format, tag, fields
    java.util.function.Function<byte[], byte[]> withPrefix = prefix -> {
      byte[] out = new byte[put.length + prefix.length];
      out[0] = put[0];
      System.arraycopy(prefix, 0, out, 1, prefix.length);
      System.arraycopy(put, 1, out, 1 + prefix.length, put.length - 1);
      return out;
    };
    byte[] longId = new byte[2 + RequestId.MAX_LENGTH + 1];
    longId[0] = 64;
    longId[1] = (byte) (RequestId.MAX_LENGTH + 1);
    Arrays.fill(longId, 2, longId.length, (byte) 'x');
    List<byte[]> bad = List.of(
        withPrefix.apply(longId),                                          // 65 characters
        withPrefix.apply(new byte[] {64, 0}),                              // empty
        withPrefix.apply(new byte[] {64, 3, 'a', ' ', 'b'}),               // a space
        withPrefix.apply(new byte[] {64, 2, 'a', (byte) 0xc3}),            // not ASCII
        withPrefix.apply(new byte[] {64, 1, 'a', 64, 1, 'b'}),             // two ids
        new WireWriter(16).u8(1).u8(64).ascii("r1").u8(3).i64(5).toByteArray()); // on a ConfirmPublished
    for (byte[] bytes : bad) {
      assertThatThrownBy(() -> WireCodec.decodeRequest(bytes)).isInstanceOf(KvException.class)
          .extracting(e -> ((KvException) e).code()).isEqualTo(ErrorCode.MALFORMED_REQUEST);
    }
    assertThat(((Command.Put) WireCodec.decodeRequest(withPrefix.apply(new byte[] {64, 2, 'o', 'k'}))).requestId())
        .isEqualTo("ok");
    for (String id : List.of("", "x".repeat(RequestId.MAX_LENGTH + 1), "a b", "é", "a\nb")) {
      assertThatThrownBy(() -> new Command.Delete(b("k"), 1, id)).isInstanceOf(IllegalArgumentException.class);
      assertThat(RequestId.orNull(id)).isNull();
    }
  }

  @Test
  void hugeLengthsDoNotAllocate() {
    // format, BATCH_GET, count = Integer.MAX_VALUE
    byte[] bomb = {1, 21, 0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff};
    assertThatThrownBy(() -> WireCodec.decodeRequest(bomb)).isInstanceOf(KvException.class);
    byte[] bigKey = {1, 20, 0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff, 1};
    assertThatThrownBy(() -> WireCodec.decodeRequest(bigKey)).isInstanceOf(KvException.class);
  }

  @Test
  void malformedBulkRequestsAreRejected() {
    // PUT_ALL of one pair whose value is null (-1 length)
    byte[] nullValue = new WireWriter(32).u8(1).u8(6).i32(1).bytes(b("k")).i32(-1).toByteArray();
    // MIGRATE_IN of one entry marked absent
    byte[] absentEntry = new WireWriter(32).u8(1).u8(7).i32(1).u8(0).toByteArray();
    // MIGRATE_IN whose entry flag is neither 0 nor 1
    byte[] badFlag = new WireWriter(32).u8(1).u8(7).i32(1).u8(2).bytes(b("k")).bytes(b("v")).i64(1).toByteArray();
    // PUT_ALL / MIGRATE_IN counting more records than allowed, or than the bytes could hold
    byte[] tooMany = new WireWriter(32).u8(1).u8(6).i32(Query.MAX_ITEMS + 1).toByteArray();
    byte[] negative = new WireWriter(32).u8(1).u8(7).i32(-1).toByteArray();
    byte[] overCount = new WireWriter(32).u8(1).u8(7).i32(5).u8(1).bytes(b("k")).bytes(null).i64(3).toByteArray();
    // COLLECT_TOMBSTONES with an inverted range; PURGE_UNOWNED without its limit
    byte[] badRange = new WireWriter(32).u8(1).u8(9).i32(1).i64(10).i64(5).i32(5).toByteArray();
    byte[] noLimit = new WireWriter(32).u8(1).u8(8).toByteArray();
    // FALLBACK_GET with a null key
    byte[] nullKey = new WireWriter(32).u8(1).u8(24).i32(-1).toByteArray();
    for (byte[] bad : List.of(nullValue, absentEntry, badFlag, tooMany, negative, overCount, badRange, noLimit,
        nullKey)) {
      assertThatThrownBy(() -> WireCodec.decodeRequest(bad)).isInstanceOf(KvException.class)
          .extracting(e -> ((KvException) e).code()).isEqualTo(ErrorCode.MALFORMED_REQUEST);
    }
    // A Purged reply whose flag byte is missing
    byte[] shortPurged = new WireWriter(8).u8(1).u8(11).i32(3).toByteArray();
    assertThatThrownBy(() -> WireCodec.decodeReply(shortPurged)).isInstanceOf(KvException.class);
  }

  /** WireCodec's TXN and TXN_REPLY tags. */
  private static final int TXN_TAG = 16;
  private static final int TXN_REPLY_TAG = 15;

  @Test
  void malformedTransactionsAreRejected() {
    byte[] put = WireCodec.encode(new Command.Put(b("k"), b("v"), Request.ANY_VERSION));
    byte[] confirm = WireCodec.encode(new Command.ConfirmPublished(3));
    byte[] fallback = WireCodec.encode(new Query.FallbackGet(b("k")));
    List<byte[]> bad = List.of(
        new WireWriter(8).u8(1).u8(TXN_TAG).i32(0).i32(0).i32(0).toByteArray(),               // no op at all
        new WireWriter(64).u8(1).u8(TXN_TAG).i32(0).i32(1).bytes(confirm).i32(0).toByteArray(), // not a txn op
        new WireWriter(64).u8(1).u8(TXN_TAG).i32(0).i32(1).bytes(fallback).i32(0).toByteArray(),
        new WireWriter(64).u8(1).u8(TXN_TAG).i32(1).bytes(b("k")).u8(9).bytes(null).i64(0)     // unknown target
            .i32(1).bytes(put).i32(0).toByteArray(),
        new WireWriter(64).u8(1).u8(TXN_TAG).i32(1).bytes(b("k")).u8(2).bytes(b("v")).i64(0)   // EXISTS with a value
            .i32(1).bytes(put).i32(0).toByteArray(),
        new WireWriter(64).u8(1).u8(TXN_TAG).i32(0).i32(Command.Txn.MAX_OPS + 1).toByteArray());
    for (byte[] b : bad) {
      assertThatThrownBy(() -> WireCodec.decodeRequest(b)).isInstanceOf(KvException.class)
          .extracting(e -> ((KvException) e).code()).isEqualTo(ErrorCode.MALFORMED_REQUEST);
    }
    byte[] badResult = new WireWriter(64).u8(1).u8(TXN_REPLY_TAG).u8(1).i32(1)
        .bytes(WireCodec.encode(new Reply.Confirmed(3))).toByteArray();
    assertThatThrownBy(() -> WireCodec.decodeReply(badResult)).isInstanceOf(KvException.class);
    // The frames above differ from well-formed ones in one point only (they used to carry tag 11, PUT_TTL since the
    // tags were renumbered, and were then refused for reasons of their own).
    assertThat(WireCodec.decodeRequest(new WireWriter(64).u8(1).u8(TXN_TAG).i32(0).i32(1).bytes(put).i32(0)
        .toByteArray())).isInstanceOf(Command.Txn.class);
    assertThat(WireCodec.decodeReply(new WireWriter(64).u8(1).u8(TXN_REPLY_TAG).u8(1).i32(1)
        .bytes(WireCodec.encode(new Reply.Written(3, null))).toByteArray())).isInstanceOf(Reply.Txn.class);
  }

  @Test
  void malformedBatchesAreRejected() {
    byte[] put = WireCodec.encode(new Command.Put(b("k"), b("v"), Request.ANY_VERSION));
    byte[] get = WireCodec.encode(new Query.Get(b("k")));
    byte[] inner = WireCodec.encode(new Command.Batch(List.of(new Command.Put(b("k"), b("v"), -1))));
    byte[] confirm = WireCodec.encode(new Command.ConfirmPublished(3));
    List<byte[]> bad = List.of(
        new WireWriter(8).u8(1).u8(10).i32(0).toByteArray(),                         // empty write batch
        new WireWriter(8).u8(1).u8(25).i32(0).toByteArray(),                         // empty read batch
        new WireWriter(64).u8(1).u8(10).i32(1).bytes(inner).toByteArray(),          // a batch in a batch
        new WireWriter(64).u8(1).u8(10).i32(1).bytes(confirm).toByteArray(),        // not a client write
        new WireWriter(64).u8(1).u8(10).i32(1).bytes(get).toByteArray(),            // a read among writes
        new WireWriter(64).u8(1).u8(25).i32(1).bytes(put).toByteArray(),            // a write among reads
        new WireWriter(64).u8(1).u8(10).i32(Command.Batch.MAX_OPS + 1).toByteArray(), // too many
        new WireWriter(64).u8(1).u8(10).i32(2).bytes(put).toByteArray());           // fewer than counted
    for (byte[] b : bad) {
      assertThatThrownBy(() -> WireCodec.decodeRequest(b)).isInstanceOf(KvException.class)
          .extracting(e -> ((KvException) e).code()).isEqualTo(ErrorCode.MALFORMED_REQUEST);
    }
    byte[] nestedReply = WireCodec.encode(new Reply.Batch(List.of(new Reply.Confirmed(1))));
    byte[] replyInReply = new WireWriter(64).u8(1).u8(12).i32(1).bytes(nestedReply).toByteArray();
    assertThatThrownBy(() -> WireCodec.decodeReply(replyInReply)).isInstanceOf(KvException.class);
  }

  @Test
  void aKeyScanBoundLongerThanAKeyAndOneByteIsMalformed() {
    byte[] tooLong = new byte[Query.KeyScan.MAX_BOUND_BYTES + 1];
    assertThatThrownBy(() -> WireCodec.decodeRequest(WireCodec.encode(new Query.KeyScan(tooLong, null, 1, false, 1))))
        .isInstanceOf(KvException.class).hasMessageContaining("scan bound");
    assertThatThrownBy(() -> WireCodec.decodeRequest(WireCodec.encode(new Query.KeyScan(b("a"), tooLong, 1, false,
        1)))).isInstanceOf(KvException.class).hasMessageContaining("scan bound");
  }

  @Test
  void migrationCommandsLoggedBeforeTokensStillDecodeWithoutOne() {
    byte[] setOwnership = new WireWriter(64).u8(1).u8(4).i64(3).ranges(RANGES).toByteArray();
    assertThat(WireCodec.decodeRequest(setOwnership)).isEqualTo(new Command.SetOwnership(3, RANGES, ""));
    byte[] purge = new WireWriter(16).u8(1).u8(8).i32(5).toByteArray();
    assertThat(WireCodec.decodeRequest(purge)).isEqualTo(new Command.PurgeUnowned(5, null));
    byte[] badToken = new WireWriter(16).u8(1).u8(42).string("").i64(3).i32(5).toByteArray();
    assertThatThrownBy(() -> WireCodec.decodeRequest(badToken)).isInstanceOf(KvException.class);
  }

  @Test
  void aFullBulkRequestRoundTrips() {
    List<Entry> entries = new java.util.ArrayList<>();
    for (int i = 0; i < Query.MAX_ITEMS; i++) {
      entries.add(new Entry(b("key-" + i), i % 10 == 0 ? null : new byte[100], i + 1));
    }
    Command.MigrateIn m = new Command.MigrateIn(entries);
    Command.MigrateIn back = (Command.MigrateIn) WireCodec.decodeRequest(WireCodec.encode(m));
    assertThat(back.entries()).hasSize(Query.MAX_ITEMS);
    for (int i = 0; i < Query.MAX_ITEMS; i++) {
      Entry a = entries.get(i);
      Entry z = back.entries().get(i);
      assertThat(z.key()).isEqualTo(a.key());
      assertThat(z.value()).isEqualTo(a.value());
      assertThat(z.version()).isEqualTo(a.version());
    }
  }

  @Test
  void invalidRangesAreMalformed() {
    // SET_OWNERSHIP epoch 1, one range [10, 5)
    byte[] bad = new WireWriter(32).u8(1).u8(4).i64(1).i32(1).i64(10).i64(5).toByteArray();
    assertThatThrownBy(() -> WireCodec.decodeRequest(bad)).isInstanceOf(KvException.class)
        .extracting(e -> ((KvException) e).code()).isEqualTo(ErrorCode.MALFORMED_REQUEST);
  }

  @Test
  void randomGarbageOnlyEverThrowsKvException() {
    Random random = new Random(42);
    for (int i = 0; i < 20_000; i++) {
      byte[] junk = new byte[random.nextInt(40)];
      random.nextBytes(junk);
      if (junk.length > 0 && random.nextBoolean()) {
        junk[0] = WireCodec.FORMAT;
      }
      try {
        WireCodec.decodeRequest(junk);
      } catch (KvException expected) {
        assertThat(expected.code()).isEqualTo(ErrorCode.MALFORMED_REQUEST);
      }
      try {
        WireCodec.decodeReply(junk);
      } catch (KvException expected) {
        assertThat(expected.code()).isEqualTo(ErrorCode.MALFORMED_REQUEST);
      }
    }
  }

  @Test
  void rejectionRoundTripsThroughItsMessage() {
    KvException e = RejectedRequestException.of(new KvException(ErrorCode.WRONG_GROUP, "not mine: a: b"))
        .toKvException();
    assertThat(e.code()).isEqualTo(ErrorCode.WRONG_GROUP);
    assertThat(e.getMessage()).isEqualTo("not mine: a: b");
    assertThat(RejectedRequestException.parse("whatever").code()).isEqualTo(ErrorCode.INTERNAL);
  }

  @Test
  void groupIdsAreDeterministicAndNamesChecked() {
    assertThat(GroupIds.uuidOf("g1")).isEqualTo(GroupIds.uuidOf("g1")).isNotEqualTo(GroupIds.uuidOf("g2"));
    assertThatThrownBy(() -> GroupIds.uuidOf("bad name")).isInstanceOf(KvException.class);
    assertThatThrownBy(() -> GroupIds.uuidOf("")).isInstanceOf(KvException.class);
  }

  /** A put and an entry without TTL keep the bytes logs written before TTLs hold (tag PUT, entry tag 1). */
  @Test
  void withoutTtlTheEncodingIsTheOneOlderLogsHold() {
    byte[] put = WireCodec.encode(new Command.Put(b("k"), b("v"), Request.ANY_VERSION));
    assertThat(put[1]).isEqualTo((byte) 1);
    assertThat(put).hasSize(1 + 1 + 4 + 1 + 4 + 1 + 8);
    byte[] copy = WireCodec.encode(new Command.MigrateIn(List.of(new Entry(b("a"), b("1"), 9)),
        new MigrationToken("m", 6)));
    // format, tag, token (4+1+8), count (4), then the entry's tag
    assertThat(copy[2 + 13 + 4]).isEqualTo((byte) 1);
    byte[] badDeadline = WireCodec.encode(new Reply.Found(new Entry(b("k"), b("v"), 5, 7)));
    badDeadline[badDeadline.length - 1] = 0; // deadline 0 under tag 2: not a TTL
    assertThatThrownBy(() -> WireCodec.decodeReply(badDeadline)).isInstanceOf(KvException.class);
  }
}
