package io.kvpipe.proxy.resp;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits an inline command line into words: separated by spaces or tabs; a word in double quotes may hold spaces and
 * the escapes {@code \" \\ \n \r \t \xHH}; one in single quotes is taken literally except {@code \'}. Enough for a
 * person typing into telnet; clients send arrays.
 */
final class InlineSplit {
  private InlineSplit() {}

  /** The words of {@code line[from, to)}; null when a quote is not closed (or not followed by a separator). */
  static List<byte[]> split(byte[] line, int from, int to) {
    List<byte[]> words = new ArrayList<>();
    int i = from;
    while (true) {
      while (i < to && (line[i] == ' ' || line[i] == '\t')) {
        i++;
      }
      if (i >= to) {
        return words;
      }
      ByteArrayOutputStream word = new ByteArrayOutputStream();
      byte quote = line[i] == '"' || line[i] == '\'' ? line[i] : 0;
      if (quote != 0) {
        i++;
        boolean closed = false;
        while (i < to) {
          byte c = line[i];
          if (c == '\\' && i + 1 < to) {
            byte e = line[i + 1];
            if (quote == '"' && e == 'x' && i + 3 < to && hex(line[i + 2]) >= 0 && hex(line[i + 3]) >= 0) {
              word.write(hex(line[i + 2]) * 16 + hex(line[i + 3]));
              i += 4;
              continue;
            }
            if (quote == '"') {
              word.write(switch (e) {
                case 'n' -> '\n';
                case 'r' -> '\r';
                case 't' -> '\t';
                default -> e;
              });
              i += 2;
              continue;
            }
            if (e == '\'') {
              word.write('\'');
              i += 2;
              continue;
            }
          }
          if (c == quote) {
            closed = true;
            i++;
            break;
          }
          word.write(c);
          i++;
        }
        if (!closed || (i < to && line[i] != ' ' && line[i] != '\t')) {
          return null;
        }
      } else {
        while (i < to && line[i] != ' ' && line[i] != '\t') {
          word.write(line[i++]);
        }
      }
      words.add(word.toByteArray());
    }
  }

  private static int hex(byte b) {
    return Character.digit((char) b, 16);
  }
}
