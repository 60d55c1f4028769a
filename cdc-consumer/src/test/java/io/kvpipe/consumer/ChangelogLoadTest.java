package io.kvpipe.consumer;

import static io.kvpipe.consumer.Events.archive;
import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.common.event.ChangeEvent;
import io.kvpipe.common.event.Op;
import io.kvpipe.common.event.Origin;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ChangelogLoadTest {
  @Test
  void fieldsAreTabSeparatedAndEveryByteTheFormatGivesMeaningIsEscaped() {
    byte[] value = {'a', '\t', 'b', '\n', '\\', 'N', 0, '\r', '"', '\''};
    ChangeEvent e = new ChangeEvent(Op.UPDATE, "k\tey", null, value, Events.T0 + 5, "g1.7", 42, 3, 2, 9, 77,
        Origin.CLIENT);
    String line = new String(ChangelogLoad.rows(List.of(archive(e))), StandardCharsets.ISO_8859_1);
    assertThat(line).isEqualTo("g1.7\t42\t3\t\\N\tu\tk\\tey\ta\\tb\\n\\\\N\\0\r\"'\t\\N\t77\t2\t9\tclient\t"
        + "2026-01-01 00:00:00.005\n");
  }

  @Test
  void aTransactionsChangeCarriesItsId() {
    ChangeEvent e = new ChangeEvent(Op.CREATE, "{t}k", null, new byte[] {'v'}, Events.T0, "g3.57", 46, 2, 1, 1, 9,
        Origin.CLIENT, true);
    assertThat(new String(ChangelogLoad.rows(List.of(archive(e))), StandardCharsets.US_ASCII))
        .startsWith("g3.57\t46\t2\tg3.57:46\tc\t{t}k\tv\t\\N\t");
  }

  @Test
  void anyBytesComeBackFromTheirFieldAndNumbersAreDecimal() {
    SplittableRandom r = new SplittableRandom(7);
    for (int n = 0; n < 500; n++) {
      byte[] v = new byte[r.nextInt(300)];
      for (int i = 0; i < v.length; i++) {
        v[i] = (byte) (r.nextInt(8) == 0 ? "\t\n\\\0N".charAt(r.nextInt(5)) : r.nextInt(256));
      }
      byte[] field = new ChangelogLoad.Buffer(1).field(v).bytes();
      assertThat(unescape(field)).isEqualTo(v);
      assertThat(field).doesNotContain((byte) '\t', (byte) '\n', (byte) 0);
    }
    assertThat(new String(new ChangelogLoad.Buffer(1).number(0).tab().number(Long.MAX_VALUE).tab().number(-5)
        .text("a b").bytes(), StandardCharsets.US_ASCII)).isEqualTo("0\t9223372036854775807\t-5a b");
  }

  /** What the server does with a field of the load (ESCAPED BY '\\'). */
  private static byte[] unescape(byte[] f) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    for (int i = 0; i < f.length; i++) {
      if (f[i] != '\\') {
        out.write(f[i]);
        continue;
      }
      byte c = f[++i];
      out.write(switch (c) {
        case 't' -> '\t';
        case 'n' -> '\n';
        case '0' -> 0;
        default -> c;
      });
    }
    return out.toByteArray();
  }

  @Test
  void anEmptyValueIsAnEmptyFieldNotNull() {
    ChangeEvent e = new ChangeEvent(Op.CREATE, "k", null, new byte[0], Events.T0, "g1", 1, 1, 1, 1, Origin.CLIENT);
    assertThat(new String(ChangelogLoad.rows(List.of(archive(e))), StandardCharsets.US_ASCII))
        .startsWith("g1\t1\t0\t\\N\tc\tk\t\t\\N\t");
  }

  @Test
  void theFileLivesInThePrivateDirectoryTheDriverIsLimitedTo() throws Exception {
    ChangeEvent e = new ChangeEvent(Op.CREATE, "k", null, new byte[] {1}, Events.T0, "g1", 1, 1, 1, 1, Origin.CLIENT);
    String sql = ChangelogLoad.prepare(List.of(archive(e)));
    assertThat(sql).startsWith("LOAD DATA LOCAL INFILE '" + ChangelogLoad.directory() + "/changelog-")
        .contains(" IGNORE INTO TABLE kv_changelog ");
    Path file = Path.of(sql.substring("LOAD DATA LOCAL INFILE '".length(), sql.indexOf("' IGNORE")));
    assertThat(file.getParent()).isEqualTo(ChangelogLoad.directory());
    assertThat(Files.readAllBytes(file)).isEqualTo(ChangelogLoad.rows(List.of(archive(e))));
  }
}
