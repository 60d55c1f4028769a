package io.kvpipe.testsupport.load;

import java.util.ArrayList;
import java.util.List;

/**
 * What a load saw. Every count past {@code puts/gets/deletes} is a violation: a failed request (after the proxy's
 * transparent retries a client should see none), a stale read, a version that went backwards, a value of another key.
 * The samples keep the first few of each for the assertion message.
 */
public record LoadReport(long puts, long gets, long deletes, long failures, long staleReads, long versionRegressions,
                         long foreignValues, List<String> samples) {
  public long operations() {
    return puts + gets + deletes;
  }

  public long violations() {
    return failures + staleReads + versionRegressions + foreignValues;
  }

  /** Empty when the load saw nothing wrong; else one line per kind of violation and the samples. */
  public List<String> problems() {
    List<String> p = new ArrayList<>();
    if (failures > 0) {
      p.add(failures + " failed requests");
    }
    if (staleReads > 0) {
      p.add(staleReads + " stale reads");
    }
    if (versionRegressions > 0) {
      p.add(versionRegressions + " acknowledged versions not above the key's previous one");
    }
    if (foreignValues > 0) {
      p.add(foreignValues + " reads returning a value written for another key");
    }
    if (!p.isEmpty()) {
      p.addAll(samples);
    }
    return p;
  }

  public String summary() {
    return String.format("%,d operations (%,d puts, %,d gets, %,d deletes); %d failed, %d stale reads, "
        + "%d version regressions, %d foreign values", operations(), puts, gets, deletes, failures, staleReads,
        versionRegressions, foreignValues);
  }
}
