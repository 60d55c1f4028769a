package io.kvpipe.common.watch;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SseReaderTest {
  @Test
  void readsEventsSkipsCommentsAndEndsAtTheEndOfTheStream() throws Exception {
    String text = ": keep-alive\n\nid: abc\nevent: change\ndata: {\"key\":\"k\",\"op\":\"delete\",\"value\":null,"
        + "\"version\":7}\n\r\nevent: error\ndata: a\ndata: b\n\nid: partial\n";
    SseReader r = new SseReader(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)));
    SseReader.Event change = r.next();
    assertThat(change.id()).isEqualTo("abc");
    assertThat(change.event()).isEqualTo("change");
    WatchEvent e = WatchEvent.parse(change);
    assertThat(e).extracting(WatchEvent::key, WatchEvent::op, WatchEvent::value, WatchEvent::version,
        WatchEvent::position).containsExactly("k", "delete", null, 7L, "abc");
    assertThat(r.next()).isEqualTo(new SseReader.Event(null, "error", "a\nb"));
    assertThat(r.next()).isNull();
  }
}
