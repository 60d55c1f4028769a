package io.kvpipe.kvctl;

import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs kvctl in-process with captured output. */
record KvctlRun(int exitCode, String out, String err) {
  static KvctlRun of(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Kvctl.commandLine(new PrintWriter(out, true), new PrintWriter(err, true)).execute(args);
    return new KvctlRun(code, out.toString(), err.toString());
  }
}
