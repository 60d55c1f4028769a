package io.kvpipe.common.wire;

import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Maps a group name ("g1", "meta") to the UUID Ratis identifies the group by. Name-based (type 3) UUIDs make the
 * mapping deterministic, so every node, proxy and test derives the same id from the same name without a registry.
 */
public final class GroupIds {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}");

  private GroupIds() {}

  public static UUID uuidOf(String groupName) {
    return UUID.nameUUIDFromBytes(("kvpipe-group:" + checkName(groupName)).getBytes(StandardCharsets.UTF_8));
  }

  /** Group names are 1..63 characters of letters, digits, '_', '.', '-', starting with a letter or digit. */
  public static String checkName(String groupName) {
    if (groupName == null || !NAME.matcher(groupName).matches()) {
      throw new KvException(ErrorCode.UNKNOWN_GROUP, "invalid group name '" + groupName + "'");
    }
    return groupName;
  }
}
