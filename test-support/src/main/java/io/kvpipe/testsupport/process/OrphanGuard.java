package io.kvpipe.testsupport.process;

import java.io.IOException;
import java.io.InputStream;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.Arrays;

/**
 * Runs a child process's real main class, and ends the child when its parent dies. {@link JavaProcess} keeps the
 * write end of the child's stdin open; the OS closes it when the parent exits, however it exits (kill -9 included),
 * so end-of-file on stdin means nobody is left to stop this process: without this, a killed test or benchmark JVM
 * would leave kv-nodes, proxies and brokers running on the machine.
 *
 * <p>Usage: {@code OrphanGuard <main class> [args...]}.
 */
public final class OrphanGuard {
  private static final long HALT_AFTER_MS = 15_000;

  private OrphanGuard() {}

  public static void main(String[] args) throws Throwable {
    if (args.length == 0) {
      throw new IllegalArgumentException("usage: OrphanGuard <main class> [args...]");
    }
    Thread watcher = new Thread(OrphanGuard::exitAtEndOfInput, "orphan-guard");
    watcher.setDaemon(true);
    watcher.start();
    MethodHandle main = MethodHandles.publicLookup().findStatic(Class.forName(args[0]), "main",
        MethodType.methodType(void.class, String[].class));
    main.invoke((Object) Arrays.copyOfRange(args, 1, args.length));
  }

  private static void exitAtEndOfInput() {
    try (InputStream in = System.in) {
      while (in.read() >= 0) {
        // The parent never writes; anything read is ignored.
      }
    } catch (IOException e) {
      // A broken stdin means the same as end-of-file: the parent is gone.
    }
    System.err.println("orphan-guard: the parent process is gone; exiting");
    Thread halter = new Thread(() -> {
      try {
        Thread.sleep(HALT_AFTER_MS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      Runtime.getRuntime().halt(1); // shutdown hooks hung: do not outlive the parent anyway
    }, "orphan-guard-halt");
    halter.setDaemon(true);
    halter.start();
    System.exit(1);
  }
}
