package io.kvpipe.systemtest;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.common.ring.HashRing;
import io.kvpipe.testsupport.Poll;
import io.kvpipe.testsupport.load.KvHttp;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Found by the robustness suite (scripts/robustness.sh --seed 2 with migration: If-None-Match puts that succeeded on
 * keys holding a value): while a group is added, a key moving to it is owned by the new group before its record is
 * copied there, and a conditional write was judged against the new group's records alone. Here: keys with a live
 * value, an add-group copying slowly, then {@code If-None-Match: *} on keys that moved and are not copied yet must be
 * refused (412), as the key's value is still readable. Failed on 7ee0cc3 (10 of 10 answered 201 created); passes
 * since the proxy copies a moving key's record onto its new owner before a conditional write (baf3d5f). The same
 * held for plain puts' created/updated answer (robustness finding 1's flags): they are judged the same way since.
 */
class MigrationConditionalWriteIT {
  @TempDir Path dir;

  @Test
  void createOnlyPutOnAMovingKeyWithAValueIsRefused() throws Exception {
    try (SystemStack stack = SystemStack.builder(dir).groups("g1", "g2").proxies("a").start()) {
      KvHttp data = stack.proxy("a").data();
      AdminApi admin = new AdminApi(stack.proxy("a").admin());
      List<String> keys = new ArrayList<>();
      for (int i = 0; i < 300; i++) {
        String key = "cw-" + i;
        assertThat(data.put(key, ("v" + i).getBytes(StandardCharsets.UTF_8)).status()).isEqualTo(201);
        keys.add(key);
      }
      int vnodes = stack.shards(admin).vnodes();
      HashRing after = HashRing.of(List.of("g1", "g2", "g3"), vnodes);
      List<String> moving = keys.stream()
          .filter(k -> after.groupFor(k.getBytes(StandardCharsets.UTF_8)).equals("g3")).toList();
      assertThat(moving).hasSizeGreaterThan(20);

      // One key a second: the copy is far from done while the new group already owns the moving keys.
      MigrationView started = admin.addGroup("g3", stack.corePeers(), 1, 1);
      Poll.until("the migration to copy", Duration.ofMinutes(2), Duration.ofMillis(100),
          () -> admin.migration(started.id()).phase().equals("copying"));

      List<String> wrong = new ArrayList<>();
      for (String key : moving.subList(moving.size() - 10, moving.size())) {
        KvHttp.Response r = data.send("PUT", "/v1/kv/" + key, "new".getBytes(StandardCharsets.UTF_8),
            "If-None-Match", "*");
        if (r.status() != 412) {
          wrong.add(key + " -> " + r.status() + " " + r.bodyText());
        }
      }
      assertThat(wrong).as("create-only puts on moving keys that hold a value").isEmpty();

      // Robustness finding 1, the unconditional half: a plain put over a moving key's live value is an update (200,
      // and a `u` change event with its `before`), not a create judged against the new owner's empty records.
      List<String> created = new ArrayList<>();
      for (String key : moving.subList(moving.size() - 20, moving.size() - 10)) {
        KvHttp.Response r = data.put(key, "newer".getBytes(StandardCharsets.UTF_8));
        if (r.status() != 200) {
          created.add(key + " -> " + r.status() + " " + r.bodyText());
        }
      }
      assertThat(created).as("plain puts on moving keys that hold a value").isEmpty();
    }
  }
}
