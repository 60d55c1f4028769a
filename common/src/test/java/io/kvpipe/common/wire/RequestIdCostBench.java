package io.kvpipe.common.wire;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What a request id costs one group-committed entry on the wire and in the codec: a batch of 64 puts (16-byte keys,
 * 100-byte values) encoded and decoded (as the leader and each follower do) with and without 16-hex-digit ids,
 * alternating rounds. Indicative only (no JMH; a shared, loaded box): prints figures and writes
 * target/bench/request-id-cost-*.json with the load average. Run from the repository root after {@code mvn test-compile
 * -pl common}: {@code java -cp common/target/classes:common/target/test-classes io.kvpipe.common.wire.RequestIdCostBench}.
 */
public final class RequestIdCostBench {
  public static void main(String[] args) throws Exception {
    Command.Batch plain = batch(false);
    Command.Batch traced = batch(true);
    int plainBytes = WireCodec.encode(plain).length;
    int tracedBytes = WireCodec.encode(traced).length;
    long[] best = {Long.MAX_VALUE, Long.MAX_VALUE};
    int rounds = 10;
    int iterations = 20_000;
    for (int round = 0; round < rounds; round++) {
      for (int which = 0; which < 2; which++) {
        Command.Batch b = which == 0 ? plain : traced;
        long sink = 0;
        long start = System.nanoTime();
        for (int i = 0; i < iterations; i++) {
          byte[] bytes = WireCodec.encode(b);
          sink += ((Command.Batch) WireCodec.decodeRequest(bytes)).ops().size();
        }
        long perEntry = (System.nanoTime() - start) / iterations;
        best[which] = Math.min(best[which], perEntry);
        if (sink == 42) {
          System.out.print("");
        }
      }
      System.out.printf(Locale.ROOT, "round %d/%d: best so far %d ns/entry plain, %d ns/entry with ids%n", round + 1,
          rounds, best[0], best[1]);
    }
    double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    int cpus = Runtime.getRuntime().availableProcessors();
    String json = String.format(Locale.ROOT, "{\"bench\":\"request-id-cost\",\"at\":\"%s\",\"ops_per_entry\":64,"
        + "\"key_bytes\":16,\"value_bytes\":100,\"id_chars\":16,\"entry_bytes_plain\":%d,\"entry_bytes_with_ids\":%d,"
        + "\"encode_decode_ns_per_entry_plain\":%d,\"encode_decode_ns_per_entry_with_ids\":%d,"
        + "\"machine\":{\"cpus\":%d,\"load_average_1m\":%.2f,\"java\":\"%s\",\"os\":\"%s\"}}%n", Instant.now(),
        plainBytes, tracedBytes, best[0], best[1], cpus, load, System.getProperty("java.version"),
        System.getProperty("os.name") + " " + System.getProperty("os.version"));
    Path dir = Path.of("target/bench");
    Files.createDirectories(dir);
    Path out = dir.resolve("request-id-cost-" + System.currentTimeMillis() + ".json");
    Files.writeString(out, json);
    System.out.printf(Locale.ROOT, "entry of 64 puts: %d bytes plain, %d with ids (+%.1f%%); encode+decode best %d ns"
        + " plain, %d ns with ids (+%.1f%%); load %.2f on %d cpus; %s%n", plainBytes, tracedBytes,
        100.0 * (tracedBytes - plainBytes) / plainBytes, best[0], best[1], 100.0 * (best[1] - best[0]) / best[0], load,
        cpus, out);
  }

  private static Command.Batch batch(boolean ids) {
    List<Command> ops = new ArrayList<>();
    byte[] value = new byte[100];
    for (int i = 0; i < 64; i++) {
      byte[] key = String.format(Locale.ROOT, "user:%011d", i).getBytes(StandardCharsets.UTF_8);
      String id = ids ? String.format(Locale.ROOT, "%016x", 0x8000_0000_0000_0000L | (i * 0x9E3779B97F4A7C15L)) : null;
      ops.add(new Command.Put(key, value, Request.ANY_VERSION, 0, id));
    }
    return new Command.Batch(ops);
  }
}
