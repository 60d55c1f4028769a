package io.kvpipe.testsupport.check;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

class HistoryFileTest {
  @Test
  void everyKindOfOperationSurvivesALine() throws Exception {
    List<Op> ops = List.of(
        Op.get(1, 2, "k\"1", 10, 20, true, "v\n1", 77),
        Op.get(2, 2, "k", 10, 20, false, null, 0),
        Op.put(3, 0, "k", Op.NONE, "v3", 5, 9, Op.Outcome.OK, 99, true),
        Op.put(4, 0, "k", 12, "v4", 5, 9, Op.Outcome.MISMATCH, 0, null),
        Op.delete(5, 1, "k", Op.ANY, 5, 5, Op.Outcome.UNKNOWN, 0, null),
        new Op(6, 1, "k", Op.Kind.PUT, Op.ANY, "v6", Op.Outcome.FAILED, false, 0, null, 1, 2, "409 CONFLICT"));
    StringWriter w = new StringWriter();
    for (Op op : ops) {
      HistoryFile.append(w, op);
    }
    List<Op> back = w.toString().lines().map(HistoryFile::parse).toList();
    assertThat(back).isEqualTo(ops);
  }

  @Test
  void aBrokenLineSaysWhatIsWrong() {
    assertThatThrownBy(() -> HistoryFile.parse("{\"id\":1}")).hasMessageContaining("missing 'k'");
    assertThatThrownBy(() -> HistoryFile.parse("{\"k\":\"a\",\"op\":\"scan\",\"out\":\"ok\"}"))
        .hasMessageContaining("not a history line");
  }
}
