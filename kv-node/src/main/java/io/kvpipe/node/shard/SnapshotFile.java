package io.kvpipe.node.shard;

import io.kvpipe.common.event.ChangeEvent;
import io.kvpipe.common.event.Op;
import io.kvpipe.common.event.Origin;
import io.kvpipe.common.ring.HashRange;
import io.kvpipe.common.ring.HashRanges;
import io.kvpipe.node.raft.AppliedCalls;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.File;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.ratis.io.MD5Hash;
import org.apache.ratis.util.MD5FileUtil;

/**
 * Writes and reads a shard snapshot: one file holding ownership, the confirmed CDC index, every record (tombstones
 * included), the outbox and the client calls recently applied, with an MD5 sidecar ({@code <file>.md5}, Ratis's
 * convention, which install-snapshot also uses). The sidecar is written before the file is renamed into place, so a snapshot file under its final name
 * always has one; a mismatch on load means corruption and the load is refused.
 */
public final class SnapshotFile {
  private static final int MAGIC = 0x4b565053; // "KVPS"
  /**
   * 2 added the outbox events' seq (several events per log index); 3 the migration that set the ownership and whether
   * its copies are closed; 4 each record's TTL deadline and the newest leader stamp applied; 5 whether an outbox
   * event is a client transaction's; 6 the client calls applied within the last two minutes ({@link AppliedCalls}); 7
   * the log index from which every replica remembers them ({@link AppliedCalls#knownFrom}); 8, the same layout, that
   * index taken from the log alone (the index of the log's first marker). Older formats are still read (no
   * migration, copies open; no TTLs, no stamp; no transactions; no calls remembered). Every format before 8 loads its
   * calls as known from {@link AppliedCalls#UNKNOWN}: format 6 said "from 0" and format 7 may say 0 too, for a state
   * that began empty or loaded format 6, while replicas of the same group that loaded older snapshots never learnt
   * the calls before theirs; the group's leader then logs a marker, which every replica counts alike.
   */
  private static final int FORMAT = 8;
  private static final int FORMAT_WITHOUT_LOG_KNOWN_FROM = 7;
  private static final int FORMAT_WITHOUT_KNOWN_FROM = 6;
  private static final int FORMAT_WITHOUT_CALLS = 5;
  private static final int FORMAT_WITHOUT_TXN = 4;
  private static final int FORMAT_WITHOUT_TTL = 3;
  private static final int FORMAT_WITHOUT_MIGRATION = 2;
  private static final int FORMAT_ONE_EVENT_PER_INDEX = 1;
  private static final int END_MAGIC = 0x454e4421; // "END!"

  /**
   * A loaded snapshot: the state and the (term, index) of the last entry it includes; {@code beforeHashTags} if it was
   * written by a kvpipe that placed every key by its whole hash (format 4 or older).
   */
  public record Loaded(ShardState state, long term, long index, boolean beforeHashTags) {}

  private SnapshotFile() {}

  /** Writes {@code state} as it is now (frozen for the write). Apply thread only. */
  static MD5Hash write(ShardState state, long term, long index, File target) throws IOException {
    ShardState.Frozen frozen = state.freeze();
    try {
      return write(frozen, term, index, target);
    } finally {
      frozen.release();
    }
  }

  /**
   * Writes {@code state}, frozen as of (term, index), to {@code target}; returns the file's MD5. Any thread: the
   * apply thread goes on meanwhile.
   */
  public static MD5Hash write(ShardState.Frozen state, long term, long index, File target) throws IOException {
    File tmp = new File(target.getParentFile(), target.getName() + ".tmp");
    MessageDigest md5 = MD5FileUtil.newMD5();
    try (FileOutputStream fos = new FileOutputStream(tmp);
         DataOutputStream out = new DataOutputStream(new BufferedOutputStream(new DigestOutputStream(fos, md5),
             1 << 16))) {
      out.writeInt(MAGIC);
      out.writeInt(FORMAT);
      out.writeUTF(state.group());
      out.writeLong(term);
      out.writeLong(index);
      Ownership own = state.ownership();
      out.writeLong(own.epoch());
      out.writeInt(own.ranges().ranges().size());
      for (HashRange r : own.ranges().ranges()) {
        out.writeLong(r.start());
        out.writeLong(r.end());
      }
      out.writeUTF(own.migration());
      out.writeBoolean(own.copiesClosed());
      out.writeLong(state.confirmedIndex());
      out.writeLong(state.newestStampMs());
      int expected = state.records().size();
      out.writeInt(expected);
      int[] written = {0};
      IOException[] failed = {null};
      state.records().forEach((slot, rec) -> {
        if (failed[0] != null) {
          return;
        }
        try {
          writeBytes(out, slot.key());
          writeBytes(out, rec.value());
          out.writeLong(rec.version());
          out.writeLong(rec.expiresAtMs());
          written[0]++;
        } catch (IOException e) {
          failed[0] = e;
        }
      });
      if (failed[0] != null) {
        throw failed[0];
      }
      if (written[0] != expected) {
        // A frozen view that disagrees with its own count would load as a different state: never publish it.
        throw new IOException("snapshot of " + state.group() + " at " + index + ": the frozen view gave "
            + written[0] + " records, not " + expected);
      }
      out.writeInt(state.outbox().size());
      for (ChangeEvent ev : state.outbox()) {
        writeEvent(out, ev);
      }
      AppliedCalls.write(out, state.calls());
      out.writeLong(state.callsKnownFrom());
      out.writeInt(END_MAGIC);
      out.flush();
      fos.getChannel().force(true);
    }
    MD5Hash digest = MD5Hash.newInstance(md5.digest());
    MD5FileUtil.saveMD5File(target, digest);
    Files.move(tmp.toPath(), target.toPath(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    return digest;
  }

  /** Verifies the MD5 sidecar, then reads the snapshot. Throws {@link IOException} naming the file on any mismatch. */
  public static Loaded read(File file) throws IOException {
    MD5Hash stored = MD5FileUtil.readStoredMd5ForFile(file);
    if (stored == null) {
      throw new IOException("snapshot " + file + " has no MD5 sidecar; refusing to load an unverified snapshot");
    }
    MD5Hash actual = MD5FileUtil.computeMd5ForFile(file);
    if (!stored.equals(actual)) {
      throw new IOException("snapshot " + file + " is corrupt: MD5 " + actual + " differs from the recorded "
          + stored + "; refusing to load it");
    }
    try (InputStream fin = Files.newInputStream(file.toPath());
         DataInputStream in = new DataInputStream(new BufferedInputStream(fin, 1 << 16))) {
      int format = in.readInt() == MAGIC ? in.readInt() : -1;
      if (format < FORMAT_ONE_EVENT_PER_INDEX || format > FORMAT) {
        throw new IOException("snapshot " + file + " is not a kvpipe shard snapshot of format "
            + FORMAT_ONE_EVENT_PER_INDEX + ".." + FORMAT);
      }
      ShardState state = new ShardState(in.readUTF());
      long term = in.readLong();
      long index = in.readLong();
      long epoch = in.readLong();
      int nRanges = in.readInt();
      List<HashRange> ranges = new ArrayList<>(nRanges);
      for (int i = 0; i < nRanges; i++) {
        ranges.add(new HashRange(in.readLong(), in.readLong()));
      }
      String migration = format > FORMAT_WITHOUT_MIGRATION ? in.readUTF() : "";
      boolean copiesClosed = format > FORMAT_WITHOUT_MIGRATION && in.readBoolean();
      long confirmed = in.readLong();
      boolean ttls = format > FORMAT_WITHOUT_TTL;
      long stampMs = ttls ? in.readLong() : 0;
      state.restore(new Ownership(epoch, HashRanges.of(ranges), migration, copiesClosed), index, confirmed, stampMs);
      int nRecords = in.readInt();
      for (int i = 0; i < nRecords; i++) {
        byte[] key = readBytes(in);
        byte[] value = readBytes(in);
        long version = in.readLong();
        long expiresAt = ttls ? in.readLong() : io.kvpipe.common.Ttl.NONE;
        if (value == null && expiresAt != io.kvpipe.common.Ttl.NONE) {
          throw new IOException("a tombstone with a TTL deadline in snapshot");
        }
        state.store().put(key, new ShardStore.Rec(value, version, expiresAt));
      }
      int nEvents = in.readInt();
      List<ChangeEvent> sameIndex = new ArrayList<>();
      for (int i = 0; i < nEvents; i++) {
        ChangeEvent e = readEvent(in, state.group(), format);
        if (!sameIndex.isEmpty() && sameIndex.get(0).logIndex() != e.logIndex()) {
          state.outbox().appendAll(sameIndex);
          sameIndex.clear();
        }
        sameIndex.add(e);
      }
      state.outbox().appendAll(sameIndex);
      if (format > FORMAT_WITHOUT_CALLS) {
        List<AppliedCalls.Applied> calls = AppliedCalls.read(in);
        long knownFrom = format > FORMAT_WITHOUT_KNOWN_FROM ? in.readLong() : AppliedCalls.UNKNOWN;
        state.restoreCalls(calls, format > FORMAT_WITHOUT_LOG_KNOWN_FROM ? knownFrom : AppliedCalls.UNKNOWN);
      } else {
        state.restoreCalls(List.of(), AppliedCalls.UNKNOWN);
      }
      if (in.readInt() != END_MAGIC) {
        throw new IOException("snapshot " + file + " is truncated (no end marker)");
      }
      return new Loaded(state, term, index, format <= FORMAT_WITHOUT_TXN);
    } catch (RuntimeException e) {
      throw new IOException("snapshot " + file + " has invalid content: " + e.getMessage(), e);
    }
  }

  private static void writeBytes(DataOutputStream out, byte[] b) throws IOException {
    if (b == null) {
      out.writeInt(-1);
    } else {
      out.writeInt(b.length);
      out.write(b);
    }
  }

  private static byte[] readBytes(DataInputStream in) throws IOException {
    int n = in.readInt();
    if (n == -1) {
      return null;
    }
    if (n < 0) {
      throw new IOException("negative length in snapshot");
    }
    return in.readNBytes(n);
  }

  private static void writeEvent(DataOutputStream out, ChangeEvent e) throws IOException {
    out.writeUTF(e.op().code());
    writeBytes(out, e.key().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    writeBytes(out, e.before());
    writeBytes(out, e.after());
    out.writeLong(e.tsMs());
    out.writeLong(e.logIndex());
    out.writeInt(e.seq());
    out.writeLong(e.term());
    out.writeLong(e.epoch());
    out.writeLong(e.version());
    out.writeUTF(e.origin().code());
    out.writeBoolean(e.txn());
  }

  private static ChangeEvent readEvent(DataInputStream in, String group, int format) throws IOException {
    Op op = Op.fromCode(in.readUTF());
    String key = new String(readBytes(in), java.nio.charset.StandardCharsets.UTF_8);
    byte[] before = readBytes(in);
    byte[] after = readBytes(in);
    long ts = in.readLong();
    long logIndex = in.readLong();
    int seq = format == FORMAT_ONE_EVENT_PER_INDEX ? 0 : in.readInt();
    long term = in.readLong();
    long epoch = in.readLong();
    long version = in.readLong();
    Origin origin = Origin.fromCode(in.readUTF());
    boolean txn = format > FORMAT_WITHOUT_TXN && in.readBoolean();
    return new ChangeEvent(op, key, before, after, ts, group, logIndex, seq, term, epoch, version, origin, txn);
  }
}
