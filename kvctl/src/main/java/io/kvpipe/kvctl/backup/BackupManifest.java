package io.kvpipe.kvctl.backup;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * {@code manifest.json} of a backup directory: which cluster state it holds (topology version and epoch, the ring's
 * groups and virtual nodes) and, per group, the log index its records were read at, the ownership they were read
 * under, and the data file with its record count and SHA-256. Written last (atomically renamed into place), so a
 * directory without one is an unfinished backup.
 */
public record BackupManifest(String format, int formatVersion, String createdAt, long topologyVersion, long epoch,
                             int vnodes, List<String> ring, List<Group> groups) {
  public static final String FILE = "manifest.json";
  public static final String FORMAT = "kvpipe-backup";
  public static final int VERSION = 1;
  private static final Pattern FILE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,80}\\.kvb");
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
      .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

  /**
   * One group's part: {@code raftGroup} is the incarnation read (its events' {@code source.group}); {@code owned}
   * the hash ranges {@code [start, end)} it owned at {@code epoch} when the export was taken at {@code logIndex}.
   */
  public record Group(String id, String raftGroup, long logIndex, long epoch, List<long[]> owned, long records,
                      long bytes, String file, String sha256) {}

  public BackupManifest {
    ring = ring == null ? List.of() : List.copyOf(ring);
    groups = groups == null ? List.of() : List.copyOf(groups);
  }

  /** Every rule a manifest must satisfy before any data file is opened: names, counts, checksums' form. */
  public void validate() throws BackupFormatException {
    if (!FORMAT.equals(format)) {
      throw new BackupFormatException("not a kvpipe backup manifest (format " + format + ")");
    }
    if (formatVersion != VERSION) {
      throw new BackupFormatException("backup format version " + formatVersion + " is not supported (this kvctl"
          + " reads version " + VERSION + ")");
    }
    if (groups.isEmpty()) {
      throw new BackupFormatException("the manifest lists no groups");
    }
    if (vnodes < 1) {
      throw new BackupFormatException("the manifest's ring has no virtual nodes");
    }
    Set<String> ids = new HashSet<>();
    Set<String> files = new HashSet<>();
    for (Group g : groups) {
      if (g == null || g.id() == null || !ids.add(g.id())) {
        throw new BackupFormatException("the manifest lists a group without an id, or one twice");
      }
      if (g.file() == null || !FILE_NAME.matcher(g.file()).matches() || !files.add(g.file())) {
        // A name with a path in it could make restore read outside the backup directory.
        throw new BackupFormatException("group " + g.id() + ": bad or repeated data file name " + g.file());
      }
      if (g.sha256() == null || !SHA256.matcher(g.sha256()).matches()) {
        throw new BackupFormatException("group " + g.id() + ": no valid SHA-256 for " + g.file());
      }
      if (g.records() < 0 || g.bytes() < 0 || g.logIndex() < 0) {
        throw new BackupFormatException("group " + g.id() + ": negative count or log index");
      }
    }
    if (!ids.containsAll(ring)) {
      throw new BackupFormatException("the manifest's ring names groups it holds no data for: " + ring);
    }
  }

  public long totalRecords() {
    return groups.stream().mapToLong(Group::records).sum();
  }

  public static BackupManifest read(Path dir) throws BackupFormatException {
    if (!Files.isDirectory(dir)) {
      throw new BackupFormatException("no backup directory " + dir);
    }
    Path file = dir.resolve(FILE);
    BackupManifest m;
    try {
      m = JSON.readValue(Files.readAllBytes(file), BackupManifest.class);
    } catch (NoSuchFileException e) {
      throw new BackupFormatException(dir + " holds no " + FILE + " (not a backup, or one that did not finish)");
    } catch (IOException e) {
      throw new BackupFormatException(file + " is not a valid manifest: " + e.getMessage(), e);
    }
    if (m == null) {
      throw new BackupFormatException(file + " is empty");
    }
    m.validate();
    return m;
  }

  /** Writes the manifest beside the data files, through a temporary file, so it appears whole or not at all. */
  public void write(Path dir) throws IOException {
    Path tmp = dir.resolve(FILE + ".tmp");
    JSON.writeValue(tmp.toFile(), this);
    Files.move(tmp, dir.resolve(FILE), StandardCopyOption.ATOMIC_MOVE);
  }
}
