package io.kvpipe.proxy.http;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** What tells a changed file from an unchanged one without reading it: modification time and size, per file. */
final class FileStamps {
  private FileStamps() {}

  static List<String> of(List<Path> files) {
    return files.stream().map(f -> {
      try {
        return Files.getLastModifiedTime(f).toMillis() + ":" + Files.size(f);
      } catch (IOException e) {
        return "missing";
      }
    }).toList();
  }
}
