package io.kvpipe.consumer;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class StartPositionTest {
  @Test
  void aStoredOffsetInsideTheRetainedRangeIsWhereThePartitionResumes() {
    assertThat(StartPosition.decide(40L, 40, 60, null)).isEqualTo(new StartPosition.Stored(40));
    assertThat(StartPosition.decide(60L, 40, 60, null)).isEqualTo(new StartPosition.Stored(60));
    assertThat(StartPosition.decide(null, 40, 60, null)).isEqualTo(new StartPosition.FromBeginning());
  }

  @Test
  void aStoredOffsetOutsideTheRetainedRangeStopsThePartition() {
    StartPosition below = StartPosition.decide(10L, 40, 60, null);
    assertThat(below).isInstanceOf(StartPosition.Stopped.class);
    assertThat(((StartPosition.Stopped) below).reason()).contains("stored offset 10", "log start 40", "30 records");
    StartPosition past = StartPosition.decide(70L, 0, 60, null);
    assertThat(((StartPosition.Stopped) past).reason()).contains("past the log end 60");
  }

  @Test
  void anOperatorResetAppliesOnlyToAStoppedPartitionAndOnlyInsideTheRetainedRange() {
    assertThat(StartPosition.decide(10L, 40, 60, 40L)).isEqualTo(new StartPosition.Reset(10, 40));
    assertThat(StartPosition.decide(10L, 40, 60, 55L)).isEqualTo(new StartPosition.Reset(10, 55));
    // A flag left in place never moves a healthy partition ...
    assertThat(StartPosition.decide(50L, 40, 60, 55L)).isEqualTo(new StartPosition.Stored(50));
    // ... and never skips again after a later gap: its old target is below the new log start.
    StartPosition later = StartPosition.decide(90L, 120, 150, 40L);
    assertThat(later).isInstanceOf(StartPosition.Stopped.class);
    assertThat(((StartPosition.Stopped) later).reason()).contains("target 40 ignored");
    assertThat(StartPosition.decide(10L, 40, 60, 61L)).isInstanceOf(StartPosition.Stopped.class);
  }
}
