package io.kvpipe.bench;

import io.kvpipe.testsupport.load.KvHttp;
import java.util.Set;

/** A benchmark write's outcome: a failed one is kept as a sample (the first few, cut short) and rethrown. */
final class WriteErrors {
  private WriteErrors() {}

  /** Returns {@code resp} if the write succeeded; otherwise records a sample in {@code samples} and throws. */
  static KvHttp.Response check(KvHttp.Response resp, Throwable e, Set<String> samples) {
    if (e == null && resp.ok()) {
      return resp;
    }
    String why = e != null ? e.toString() : resp.status() + " " + resp.bodyText();
    if (samples.size() < 5) {
      samples.add(why.length() > 300 ? why.substring(0, 300) : why);
    }
    throw new IllegalStateException(why);
  }
}
