package io.kvpipe.testsupport.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MachineProbeTest {
  @Test
  void readsAHandOffAndADurableAppendAndLeavesNoFileBehind(@TempDir Path dir) throws Exception {
    Map<String, Object> probe = MachineProbe.read(dir);
    assertThat(probe.get("handoff_round_trip_us")).isInstanceOf(Double.class);
    assertThat((Double) probe.get("handoff_round_trip_us")).isPositive();
    assertThat(probe.get("fdatasync_200b_p50_us")).isInstanceOf(Double.class);
    assertThat((Double) probe.get("fdatasync_200b_p99_us"))
        .isGreaterThanOrEqualTo((Double) probe.get("fdatasync_200b_p50_us"));
    assertThat(probe).containsKeys("kernel_page_table_isolation", "cpu_has_pcid");
    try (Stream<Path> left = Files.list(dir)) {
      assertThat(left).isEmpty();
    }
  }

  @Test
  void aScratchDirThatCannotBeCreatedIsReportedNotThrown(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("a-file"), "x");
    Map<String, Object> probe = MachineProbe.read(file.resolve("under-a-file"));
    assertThat(String.valueOf(probe.get("fdatasync_200b_p50_us"))).startsWith("failed: ");
    assertThat(probe.get("handoff_round_trip_us")).isInstanceOf(Double.class);
  }
}
