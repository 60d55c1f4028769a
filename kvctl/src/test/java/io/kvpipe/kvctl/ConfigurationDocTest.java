package io.kvpipe.kvctl;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/** docs/configuration.md against the code: every flag, variable and default it lists, and nothing more. */
class ConfigurationDocTest {
  private static Map<String, List<List<String>>> sections;

  @BeforeAll
  static void read() throws IOException {
    sections = tables(Files.readString(RepoFiles.root().resolve("docs/configuration.md")));
  }

  /** "## name" → rows of the section's table (cells without backticks), header and separator dropped. */
  static Map<String, List<List<String>>> tables(String markdown) {
    Map<String, List<List<String>>> out = new LinkedHashMap<>();
    String section = null;
    for (String line : markdown.split("\n")) {
      if (line.startsWith("## ")) {
        section = line.substring(3).trim();
        out.put(section, new ArrayList<>());
      } else if (section != null && line.startsWith("| ") && !line.startsWith("|---")) {
        List<String> cells = new ArrayList<>();
        for (String c : line.substring(1, line.length() - 1).split("\\|", -1)) {
          cells.add(c.trim().replace("`", ""));
        }
        out.get(section).add(cells);
      }
    }
    out.values().forEach(rows -> {
      if (!rows.isEmpty()) {
        rows.removeFirst(); // the header row
      }
    });
    return out;
  }

  @Test
  void everyServiceFlagIsDocumentedWithItsVariableAndDefault() {
    ServiceFlags.all().forEach((process, flags) -> {
      Map<String, List<String>> doc = new LinkedHashMap<>();
      for (List<String> row : sections.getOrDefault(process, List.of())) {
        doc.put(row.get(0).replaceFirst("^--", ""), row);
      }
      assertThat(doc.keySet()).as(process + " flags in docs/configuration.md")
          .containsExactlyInAnyOrderElementsOf(flags.keySet());
      flags.values().forEach(f -> {
        List<String> row = doc.get(f.flag());
        assertThat(row.get(1)).as(process + " --" + f.flag() + " variable").isEqualTo(f.env());
        assertThat(row.get(2)).as(process + " --" + f.flag() + " default").isEqualTo(f.defaultValue());
        // Other names (deprecated flags, shared variables) are named in the row's meaning, so users find them.
        f.aliases().forEach(alias -> assertThat(row.get(3)).as(process + " --" + f.flag() + " also " + alias)
            .contains(alias));
      });
    });
  }

  @Test
  void everyKvctlOptionIsDocumented() {
    Set<String> inCode = new TreeSet<>();
    collectOptions(new CommandLine(new Kvctl()).getCommandSpec(), inCode);
    inCode.removeAll(Set.of("--help", "--version"));
    Set<String> inDoc = new TreeSet<>();
    sections.get("kvctl").forEach(row -> inDoc.add(row.get(0)));
    assertThat(inDoc).containsExactlyInAnyOrderElementsOf(inCode);
  }

  private static void collectOptions(CommandSpec spec, Set<String> out) {
    spec.options().forEach(o -> out.add(o.longestName()));
    spec.subcommands().values().forEach(sub -> collectOptions(sub.getCommandSpec(), out));
  }

  @Test
  void everyDevStackVariableIsDocumented() throws IOException {
    Set<String> inScripts = new TreeSet<>();
    Pattern var = Pattern.compile("\\b(KVPIPE_DEVSTACK_[A-Z_]+|KVPIPE_DEMO_[A-Z_]+)\\b");
    Path root = RepoFiles.root();
    List<Path> scripts = new ArrayList<>(List.of(root.resolve("scripts/dev-stack.sh"),
        root.resolve("scripts/demo.sh")));
    try (Stream<Path> lib = Files.list(root.resolve("scripts/lib"))) {
      lib.filter(p -> p.getFileName().toString().startsWith("devstack")).forEach(scripts::add);
    }
    for (Path p : scripts) {
      Matcher m = var.matcher(Files.readString(p));
      while (m.find()) {
        inScripts.add(m.group(1));
      }
    }
    Set<String> inDoc = new TreeSet<>();
    sections.get("dev stack").forEach(row -> inDoc.add(row.get(0)));
    inDoc.removeAll(Set.of("KVPIPE_TOKEN", "KVPIPE_ADMIN_TOKEN"));
    assertThat(inDoc).containsExactlyInAnyOrderElementsOf(inScripts);
  }
}
