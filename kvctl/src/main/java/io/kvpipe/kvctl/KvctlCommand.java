package io.kvpipe.kvctl;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** Base of kvctl's leaf commands: proxy options, output options, and the writers picocli was given. */
abstract class KvctlCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Mixin
  ClusterOptions cluster;

  @Mixin
  OutputOptions output;

  PrintWriter out() {
    return spec.commandLine().getOut();
  }

  PrintWriter err() {
    return spec.commandLine().getErr();
  }

  boolean json() {
    return output.json;
  }

  void printJson(Object value) {
    try {
      out().println(ProxyApi.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(value));
      out().flush();
    } catch (JsonProcessingException e) {
      throw new KvctlException(ExitCodes.SERVER_ERROR, "cannot print JSON: " + e.getOriginalMessage(), e);
    }
  }
}
