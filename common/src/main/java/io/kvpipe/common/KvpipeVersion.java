package io.kvpipe.common;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** kvpipe's version string ({@code project.version}), from a resource Maven fills in at build time. */
public final class KvpipeVersion {
  private static final String VERSION = load();

  private KvpipeVersion() {}

  public static String get() {
    return VERSION;
  }

  private static String load() {
    try (InputStream in = KvpipeVersion.class.getResourceAsStream("version.properties")) {
      if (in == null) {
        throw new IllegalStateException("version.properties missing next to " + KvpipeVersion.class.getName());
      }
      Properties p = new Properties();
      p.load(in);
      String v = p.getProperty("version", "").strip();
      // An unfiltered resource (an IDE build without Maven) still gives a usable, bounded string.
      return v.isEmpty() || v.startsWith("${") ? "dev" : v;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
