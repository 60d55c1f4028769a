package io.kvpipe.node.reconcile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GroupRosterTest {
  @TempDir
  Path dir;

  @Test
  void managedAndLeftGroupsSurviveAReload() throws IOException {
    GroupRoster r = GroupRoster.load(dir);
    assertThat(r.managed()).isEmpty();
    r.markManaged("g1");
    r.markManaged("g3");
    r.markLeft("g3");
    GroupRoster again = GroupRoster.load(dir);
    assertThat(again.managed()).containsExactly("g1");
    assertThat(again.hasLeft("g3")).isTrue();
    again.markManaged("g3");
    assertThat(GroupRoster.load(dir).hasLeft("g3")).isFalse();
    assertThat(GroupRoster.load(dir).managed()).containsExactlyInAnyOrder("g1", "g3");
  }

  @Test
  void aDamagedFileIsRefusedRatherThanGuessed() throws IOException {
    Files.writeString(dir.resolve(GroupRoster.FILE_NAME), "managed g1\nwhatever\n");
    assertThatThrownBy(() -> GroupRoster.load(dir)).isInstanceOf(IOException.class).hasMessageContaining("line 2");
  }
}
