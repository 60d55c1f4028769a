package io.kvpipe.testsupport.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

/**
 * What a replicated write pays on this machine before any kvpipe code runs: a thread hand-off and a small log append
 * made durable. Two machines of the same kind (cores, memory, CPU model) have differed 2-4x in both kvpipe's and
 * etcd's write rates; these readings, taken in the benchmark's JVM at its start, say which of the two costs moved.
 *
 * <p>The append is what a Raft log does: 200-byte writes into a file region already written once (Ratis preallocates
 * its segments), each followed by {@code fdatasync} ({@link FileChannel#force force(false)}). The hand-off is two
 * platform threads passing a turn back and forth with park/unpark, the primitive under every executor queue on the
 * write path. The kernel line records page-table isolation, which makes every system call and wake-up dearer on CPUs
 * without PCID.
 */
public final class MachineProbe {
  private static final int HANDOFF_ROUND_TRIPS = 20_000;
  private static final int SYNCS = 200;
  private static final int APPEND_BYTES = 200;

  private MachineProbe() {}

  /** The readings as JSON-ready fields; a reading that failed is reported as its error, never thrown. */
  public static Map<String, Object> read(Path scratchDir) {
    Map<String, Object> m = JsonReport.map();
    try {
      m.put("handoff_round_trip_us", round(handoffRoundTripMicros()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      m.put("handoff_round_trip_us", "interrupted");
    }
    try {
      double[] sync = fdatasyncMicros(scratchDir);
      m.put("fdatasync_200b_p50_us", round(sync[0]));
      m.put("fdatasync_200b_p99_us", round(sync[1]));
    } catch (IOException e) {
      m.put("fdatasync_200b_p50_us", "failed: " + e.getMessage());
    }
    m.put("kernel_page_table_isolation", pageTableIsolation());
    m.put("cpu_has_pcid", cpuFlag("pcid"));
    return m;
  }

  /** Mean round trip, in microseconds, of a turn passed between two threads, each parking until it is its turn. */
  static double handoffRoundTripMicros() throws InterruptedException {
    PingPong p = new PingPong();
    Thread peer = Thread.ofPlatform().daemon().name("probe-peer").start(p::answer);
    p.play(HANDOFF_ROUND_TRIPS / 10); // warm-up: JIT and both threads scheduled
    long start = System.nanoTime();
    p.play(HANDOFF_ROUND_TRIPS);
    double micros = (System.nanoTime() - start) / 1_000.0 / HANDOFF_ROUND_TRIPS;
    peer.interrupt();
    peer.join(5_000);
    return micros;
  }

  /** p50 and p99, in microseconds, of a 200-byte write into a preallocated file followed by fdatasync. */
  static double[] fdatasyncMicros(Path dir) throws IOException {
    Files.createDirectories(dir);
    Path file = Files.createTempFile(dir, "machine-probe-", ".log");
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ByteBuffer zeros = ByteBuffer.allocate(SYNCS * APPEND_BYTES);
      while (zeros.hasRemaining()) {
        ch.write(zeros);
      }
      ch.force(true);
      ch.position(0);
      long[] nanos = new long[SYNCS];
      ByteBuffer entry = ByteBuffer.allocate(APPEND_BYTES);
      for (int i = 0; i < SYNCS; i++) {
        entry.clear();
        entry.put(0, (byte) i);
        long t = System.nanoTime();
        while (entry.hasRemaining()) {
          ch.write(entry);
        }
        ch.force(false);
        nanos[i] = System.nanoTime() - t;
      }
      Arrays.sort(nanos);
      return new double[] {nanos[SYNCS / 2] / 1_000.0, nanos[SYNCS * 99 / 100] / 1_000.0};
    } finally {
      Files.deleteIfExists(file);
    }
  }

  private static String pageTableIsolation() {
    try {
      String cmdline = Files.readString(Path.of("/proc/cmdline"));
      for (String word : cmdline.trim().split("\\s+")) {
        if (word.startsWith("pti=") || word.equals("nopti")) {
          return word + " (kernel command line)";
        }
      }
      return cpuFlag("pti") ? "on" : "off";
    } catch (IOException e) {
      return "unknown (" + e.getMessage() + ")";
    }
  }

  private static boolean cpuFlag(String flag) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("flags")) {
          return Arrays.asList(line.substring(line.indexOf(':') + 1).trim().split(" ")).contains(flag);
        }
      }
    } catch (IOException e) {
      return false;
    }
    return false;
  }

  private static double round(double v) {
    return Math.round(v * 10) / 10.0;
  }

  /** Two threads taking turns: the caller's thread plays odd turns, the peer answers even ones. */
  private static final class PingPong {
    private volatile long turn;
    private volatile Thread player;
    private volatile Thread peer;

    void play(int roundTrips) {
      player = Thread.currentThread();
      for (int i = 0; i < roundTrips; i++) {
        long mine = turn;
        turn = mine + 1;
        while (peer == null) {
          Thread.onSpinWait();
        }
        LockSupport.unpark(peer);
        while (turn == mine + 1) {
          LockSupport.park(this);
        }
      }
    }

    void answer() {
      peer = Thread.currentThread();
      while (!Thread.currentThread().isInterrupted()) {
        long t = turn;
        if ((t & 1) == 1) {
          turn = t + 1;
          LockSupport.unpark(player);
        } else {
          LockSupport.park(this);
        }
      }
    }
  }
}
