package io.kvpipe.kvctl;

import picocli.CommandLine.Option;

/** Human tables (default) or JSON for machines. */
public final class OutputOptions {
  @Option(names = "--json", description = "print JSON instead of a table")
  boolean json;
}
