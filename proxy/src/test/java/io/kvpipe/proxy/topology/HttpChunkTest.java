package io.kvpipe.proxy.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class HttpChunkTest {
  @Test
  void framesTheBytesWithTheirLengthInHex() {
    byte[] data = "x".repeat(300).getBytes(StandardCharsets.UTF_8);
    ByteBuffer chunk = HttpChunk.of(data);
    byte[] out = new byte[chunk.remaining()];
    chunk.get(out);
    assertThat(new String(out, StandardCharsets.US_ASCII)).isEqualTo("12c\r\n" + "x".repeat(300) + "\r\n");
    assertThat(chunk.isReadOnly()).isTrue();
  }

  @Test
  void noDataIsNoChunkBecauseAnEmptyChunkEndsTheStream() {
    assertThat(HttpChunk.of(new byte[0])).isNull();
  }
}
