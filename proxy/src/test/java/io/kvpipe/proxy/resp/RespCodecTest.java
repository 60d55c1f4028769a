package io.kvpipe.proxy.resp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RespCodecTest {
  static final RespCodec.Limits LIMITS = new RespCodec.Limits(10, 100, 250);

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static List<String> words(RespCodec.Frame f) {
    assertThat(f).isInstanceOf(RespCodec.Command.class);
    List<String> out = new ArrayList<>();
    for (byte[] a : ((RespCodec.Command) f).args()) {
      out.add(new String(a, StandardCharsets.UTF_8));
    }
    return out;
  }

  static List<RespCodec.Frame> all(RespCodec c) throws RespCodec.ProtocolError {
    List<RespCodec.Frame> out = new ArrayList<>();
    RespCodec.Frame f;
    while ((f = c.next()) != null) {
      out.add(f);
    }
    return out;
  }

  @Test
  void decodesAnArrayCommandFedOneByteAtATime() throws Exception {
    byte[] wire = b("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhe\r\nl\r\n");
    RespCodec c = new RespCodec(LIMITS);
    for (int i = 0; i < wire.length - 1; i++) {
      c.feed(wire, i, 1);
      assertThat(c.next()).as("after %d bytes", i + 1).isNull();
    }
    c.feed(wire, wire.length - 1, 1);
    assertThat(words(c.next())).containsExactly("SET", "k", "he\r\nl");
    assertThat(c.next()).isNull();
    assertThat(c.idle()).isTrue();
  }

  @Test
  void decodesAPipelineInOneReadAndBinaryValues() throws Exception {
    RespCodec c = new RespCodec(LIMITS);
    byte[] wire = b("*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$0\r\n\r\n*2\r\n$4\r\nECHO\r\n$3\r\n\u0000\u00ff\r\n");
    c.feed(wire, 0, wire.length);
    List<RespCodec.Frame> frames = all(c);
    assertThat(frames).hasSize(3);
    assertThat(words(frames.get(0))).containsExactly("PING");
    assertThat(words(frames.get(1))).containsExactly("GET", "");
    assertThat(((RespCodec.Command) frames.get(2)).args().get(1)).containsExactly(0, 0xc3, 0xbf);
  }

  @Test
  void inlineCommandsSplitOnBlanksAndQuotes() throws Exception {
    RespCodec c = new RespCodec(LIMITS);
    byte[] wire = b("PING\r\n\r\nset  k \"a b\\n\\x41\"\nGET 'it\\'s'\r\n");
    c.feed(wire, 0, wire.length);
    List<RespCodec.Frame> frames = all(c);
    assertThat(frames).hasSize(3);
    assertThat(words(frames.get(0))).containsExactly("PING");
    assertThat(words(frames.get(1))).containsExactly("set", "k", "a b\nA");
    assertThat(words(frames.get(2))).containsExactly("GET", "it's");
  }

  @Test
  void anInlineCommandWaitsForItsNewline() throws Exception {
    RespCodec c = new RespCodec(LIMITS);
    c.feed(b("GET ke"), 0, 6);
    assertThat(c.next()).isNull();
    c.feed(b("y\r\n"), 0, 3);
    assertThat(words(c.next())).containsExactly("GET", "key");
  }

  @Test
  void emptyArraysAreIgnored() throws Exception {
    RespCodec c = new RespCodec(LIMITS);
    byte[] wire = b("*0\r\n*-1\r\n*1\r\n$4\r\nPING\r\n");
    c.feed(wire, 0, wire.length);
    assertThat(words(c.next())).containsExactly("PING");
  }

  @Test
  void anOversizedArgumentIsSkippedAndTheStreamStaysInStep() throws Exception {
    RespCodec c = new RespCodec(LIMITS);
    String big = "x".repeat(150);
    byte[] wire = b("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$150\r\n" + big + "\r\n*1\r\n$4\r\nPING\r\n");
    // In pieces, so the skipped bytes straddle reads.
    for (int i = 0; i < wire.length; i += 7) {
      c.feed(wire, i, Math.min(7, wire.length - i));
    }
    List<RespCodec.Frame> frames = all(c);
    assertThat(frames).hasSize(2);
    assertThat(frames.get(0)).isInstanceOf(RespCodec.Refused.class);
    assertThat(((RespCodec.Refused) frames.get(0)).reason()).contains("150 bytes").contains("limit is 100");
    assertThat(words(frames.get(1))).containsExactly("PING");
    assertThat(c.buffered()).isZero();
  }

  @Test
  void aCommandOverTheTotalByteLimitOrArgumentCountIsRefused() throws Exception {
    RespCodec c = new RespCodec(LIMITS);
    String v = "y".repeat(100);
    byte[] wire = b("*4\r\n$4\r\nMSET\r\n$100\r\n" + v + "\r\n$100\r\n" + v + "\r\n$100\r\n" + v + "\r\n"
        + "*11\r\n" + "$1\r\na\r\n".repeat(11) + "*1\r\n$4\r\nPING\r\n");
    c.feed(wire, 0, wire.length);
    List<RespCodec.Frame> frames = all(c);
    assertThat(frames).hasSize(3);
    assertThat(((RespCodec.Refused) frames.get(0)).reason()).contains("more than 250 bytes");
    assertThat(((RespCodec.Refused) frames.get(1)).reason()).contains("too many arguments: 11");
    assertThat(words(frames.get(2))).containsExactly("PING");
  }

  @Test
  void widerLimitsApplyFromTheNextCommand() throws Exception {
    RespCodec c = new RespCodec(new RespCodec.Limits(3, 4, 16));
    byte[] wire = b("*2\r\n$4\r\nAUTH\r\n$4\r\npass\r\n*2\r\n$3\r\nGET\r\n$6\r\nlonger\r\n");
    c.feed(wire, 0, wire.length);
    assertThat(words(c.next())).containsExactly("AUTH", "pass");
    c.limits(LIMITS);
    assertThat(words(c.next())).containsExactly("GET", "longer");
  }

  @Test
  void garbageThatCannotBeResyncedIsAProtocolError() {
    for (String bad : List.of("*2\r\n+OK\r\n", "*x\r\n", "*1\r\n$-5\r\n", "*1\r\n$abc\r\n", "*1\r\n$3\r\nabcd\r\n",
        "*99999999999\r\n", "*1\r\n$999999999999\r\n", "*1\n", "GET \"unclosed\r\n", "*" + "1".repeat(40))) {
      RespCodec c = new RespCodec(LIMITS);
      byte[] wire = b(bad);
      c.feed(wire, 0, wire.length);
      assertThatThrownBy(() -> all(c)).as(bad).isInstanceOf(RespCodec.ProtocolError.class)
          .hasMessageStartingWith("Protocol error: ");
    }
  }

  @Test
  void anEndlessInlineLineIsAProtocolErrorNotUnboundedBuffering() throws Exception {
    RespCodec c = new RespCodec(new RespCodec.Limits(10, 100, 1 << 20));
    byte[] chunk = b("a".repeat(8192));
    for (int i = 0; i < RespCodec.MAX_INLINE_BYTES / chunk.length; i++) {
      c.feed(chunk, 0, chunk.length);
      assertThat(c.next()).isNull();
    }
    c.feed(chunk, 0, chunk.length);
    assertThatThrownBy(c::next).isInstanceOf(RespCodec.ProtocolError.class).hasMessageContaining("too big inline");
  }

  @Test
  void encodesResp2AndResp3() {
    RespEncoder e = new RespEncoder();
    RespValue map = new RespValue.MapValue(List.of(RespValue.bulk("proto"), new RespValue.Int(3)));
    e.write(new RespValue.Array(List.of(RespValue.OK, RespValue.NULL, new RespValue.Error("ERR bad\r\nthing"),
        RespValue.bulk("é"))), 2);
    e.write(RespValue.NULL, 3);
    e.write(map, 2);
    e.write(map, 3);
    e.write(RespValue.NULL_ARRAY, 2);
    e.write(RespValue.NULL_ARRAY, 3);
    assertThat(new String(e.bytes(), StandardCharsets.UTF_8)).isEqualTo(
        "*4\r\n+OK\r\n$-1\r\n-ERR bad  thing\r\n$2\r\né\r\n" + "_\r\n"
            + "*2\r\n$5\r\nproto\r\n:3\r\n" + "%1\r\n$5\r\nproto\r\n:3\r\n"
            + "*-1\r\n_\r\n"); // EXEC after a WATCHed key changed, as Redis sends it
  }

  @Test
  void strictIntegersAsRedisReadsThem() {
    assertThat(RespArgs.parseStrict(b("-42"))).isEqualTo(-42L);
    assertThat(RespArgs.parseStrict(b("0"))).isZero();
    assertThat(RespArgs.parseStrict(b("9223372036854775807"))).isEqualTo(Long.MAX_VALUE);
    for (String bad : List.of("", "+1", " 1", "01", "-0", "1.0", "9223372036854775808", "abc", "-")) {
      assertThat(RespArgs.parseStrict(b(bad))).as(bad).isNull();
    }
  }

  @Test
  void matchPatternsBecomeKeyRanges() {
    RespScan.Range prefix = RespScan.range(b("user:*"));
    assertThat(new String(prefix.start(), StandardCharsets.UTF_8)).isEqualTo("user:");
    assertThat(new String(prefix.end(), StandardCharsets.UTF_8)).isEqualTo("user;");
    RespScan.Range all = RespScan.range(b("*"));
    assertThat(all.start()).isEmpty();
    assertThat(all.end()).isNull();
    RespScan.Range exact = RespScan.range(b("k"));
    assertThat(exact.start()).containsExactly('k');
    assertThat(exact.end()).containsExactly('k', 0);
    for (String unsupported : List.of("u*r", "user?", "[ab]*", "a\\*")) {
      assertThatThrownBy(() -> RespScan.range(b(unsupported))).as(unsupported).isInstanceOf(RespException.class)
          .hasMessageContaining("MATCH");
    }
  }
}
