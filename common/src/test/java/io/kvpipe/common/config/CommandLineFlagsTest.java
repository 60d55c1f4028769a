package io.kvpipe.common.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvpipe.common.config.CommandLineFlags.Flag;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CommandLineFlagsTest {
  private static final Set<String> KNOWN = Set.of("id", "group");

  @Test
  void scansBothSyntaxesAndKeepsRepeatsInOrder() {
    assertThat(CommandLineFlags.scan(new String[] {"--id", "n1", "--group=a=x", "--group", "b"}, KNOWN, () -> "u"))
        .containsExactly(new Flag("id", "n1"), new Flag("group", "a=x"), new Flag("group", "b"));
  }

  @Test
  void refusesStrayUnknownAndValuelessFlagsWithTheUsage() {
    assertThatThrownBy(() -> CommandLineFlags.scan(new String[] {"n1"}, KNOWN, () -> "USAGE"))
        .hasMessageContaining("unexpected argument 'n1'").hasMessageContaining("USAGE");
    assertThatThrownBy(() -> CommandLineFlags.scan(new String[] {"--nope", "1"}, KNOWN, () -> "USAGE"))
        .hasMessageContaining("unknown flag --nope").hasMessageContaining("USAGE");
    assertThatThrownBy(() -> CommandLineFlags.scan(new String[] {"--id"}, KNOWN, () -> "USAGE"))
        .hasMessageContaining("--id needs a value");
  }
}
