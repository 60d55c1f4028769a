package io.kvpipe.kvctl;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The shell blocks of a Markdown document, in document order, as {@code DocCommandsIT} runs them.
 *
 * <p>Fences tagged {@code sh}, {@code bash} or {@code shell} run as they are. A {@code console} block is a transcript:
 * its {@code $ } lines (and the lines a trailing backslash continues them onto) are the commands, everything else is
 * their shown output and is not run. Every fence must carry a language tag ({@code text} when it is not a command),
 * so a command block cannot escape the test by being untagged. A block is skipped only through
 * {@code <!-- doc-test: skip: REASON -->} on the line before its fence (blank lines between are allowed). A block whose
 * command follows until interrupted (a watch, {@code logs -f}) carries {@code <!-- doc-test: interrupt-after: N s -->}
 * instead: it runs, and after N seconds is stopped (SIGTERM) as Ctrl-C would stop it.
 */
final class DocBlocks {
  static final Set<String> SHELL = Set.of("sh", "bash", "shell", "console");
  private static final Pattern FENCE = Pattern.compile("^ {0,3}(`{3,}|~{3,})\\s*([^`\\s]*)\\s*.*$");
  private static final Pattern MARKER = Pattern.compile("^\\s*<!--\\s*doc-test:(.*?)-->\\s*$");
  private static final Pattern SKIP = Pattern.compile("^\\s*skip\\s*(?::\\s*(.*?))?\\s*$");
  private static final Pattern INTERRUPT = Pattern.compile("^\\s*interrupt-after\\s*:\\s*(\\d+)\\s*s\\s*$");

  /**
   * One fenced shell block: the line of its opening fence (1-based), what bash runs, why not if skipped, and after how
   * many seconds its command is interrupted if it follows until then (else 0).
   */
  record Block(Path file, int line, String lang, String script, String skipReason, int interruptAfterS) {
    Block(Path file, int line, String lang, String script, String skipReason) {
      this(file, line, lang, script, skipReason, 0);
    }

    boolean skipped() {
      return skipReason != null;
    }

    String where() {
      return file + ":" + line;
    }
  }

  /** A document this test cannot read as intended: a marker without a reason, an untagged fence, and the like. */
  static final class DocFormatException extends IllegalArgumentException {
    DocFormatException(String where, String message) {
      super(where + ": " + message);
    }
  }

  private DocBlocks() {}

  static List<Block> read(Path root, Path file) throws IOException {
    return parse(root.relativize(file), Files.readAllLines(file));
  }

  static List<Block> parse(Path name, List<String> lines) {
    List<Block> out = new ArrayList<>();
    String pendingSkip = null;
    int pendingInterrupt = 0;
    int pendingLine = 0;
    for (int i = 0; i < lines.size(); i++) {
      String l = lines.get(i);
      Matcher marker = MARKER.matcher(l);
      if (marker.matches()) {
        if (pendingSkip != null || pendingInterrupt > 0) {
          throw new DocFormatException(name + ":" + pendingLine, "doc-test marker not followed by a fenced block");
        }
        Matcher interrupt = INTERRUPT.matcher(marker.group(1));
        if (interrupt.matches()) {
          pendingInterrupt = Integer.parseInt(interrupt.group(1));
          if (pendingInterrupt <= 0) {
            throw new DocFormatException(name + ":" + (i + 1), "interrupt-after needs a positive number of seconds");
          }
          pendingLine = i + 1;
          continue;
        }
        Matcher skip = SKIP.matcher(marker.group(1));
        if (!skip.matches()) {
          throw new DocFormatException(name + ":" + (i + 1), "unknown doc-test marker '" + marker.group(1).strip()
              + "' (known: skip: REASON, interrupt-after: N s)");
        }
        if (skip.group(1) == null || skip.group(1).isBlank()) {
          throw new DocFormatException(name + ":" + (i + 1), "doc-test skip marker without a reason");
        }
        pendingSkip = skip.group(1);
        pendingLine = i + 1;
        continue;
      }
      Matcher fence = FENCE.matcher(l);
      if (!fence.matches()) {
        if ((pendingSkip != null || pendingInterrupt > 0) && !l.isBlank()) {
          throw new DocFormatException(name + ":" + pendingLine, "doc-test marker not followed by a fenced block");
        }
        continue;
      }
      String open = fence.group(1);
      String lang = fence.group(2);
      int start = i + 1;
      List<String> body = new ArrayList<>();
      i++;
      while (i < lines.size() && !isClosing(lines.get(i), open)) {
        body.add(lines.get(i));
        i++;
      }
      if (i >= lines.size()) {
        throw new DocFormatException(name + ":" + start, "fenced block never closed");
      }
      if (lang.isEmpty()) {
        throw new DocFormatException(name + ":" + start,
            "fenced block without a language tag (sh/bash/shell/console blocks are run; use text, json, ... else)");
      }
      if (SHELL.contains(lang)) {
        out.add(new Block(name, start, lang, lang.equals("console") ? commands(name, start, body)
            : String.join("\n", body) + "\n", pendingSkip, pendingInterrupt));
      } else if (pendingSkip != null || pendingInterrupt > 0) {
        throw new DocFormatException(name + ":" + pendingLine, "doc-test marker before a " + lang
            + " block, which is never run");
      }
      pendingSkip = null;
      pendingInterrupt = 0;
    }
    if (pendingSkip != null || pendingInterrupt > 0) {
      throw new DocFormatException(name + ":" + pendingLine, "doc-test marker not followed by a fenced block");
    }
    return out;
  }

  private static boolean isClosing(String line, String open) {
    return line.matches("^ {0,3}" + Pattern.quote(open.substring(0, 1)) + "{" + open.length() + ",}\\s*$");
  }

  /** The commands of a console transcript: {@code $ } lines without the prompt, with their continuation lines. */
  private static String commands(Path name, int start, List<String> body) {
    StringBuilder script = new StringBuilder();
    boolean continued = false;
    for (String l : body) {
      if (continued) {
        script.append(l).append('\n');
      } else if (l.startsWith("$ ")) {
        script.append(l.substring(2)).append('\n');
      } else {
        continue;
      }
      continued = l.endsWith("\\");
    }
    if (script.isEmpty()) {
      throw new DocFormatException(name + ":" + start, "console block without a '$ ' command line");
    }
    return script.toString();
  }
}
