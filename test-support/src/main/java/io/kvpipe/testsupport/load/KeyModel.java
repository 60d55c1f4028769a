package io.kvpipe.testsupport.load;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * What the clients know was acknowledged: per key the newest acknowledged write (value or delete, with its version),
 * and the log of every acknowledgement. Each key has one writer thread, so a key's acknowledgements arrive in order;
 * readers on any thread take {@link #get} before a read as the lower bound the read must meet. A key whose last write
 * failed is {@code uncertain}: either outcome is legal until its writer's next acknowledged write.
 */
public final class KeyModel {
  /** The newest acknowledged state of a key; {@code value == null} is a delete. */
  public record State(long version, byte[] value, boolean uncertain) {
    public boolean deleted() {
      return value == null;
    }
  }

  /** One acknowledged write. */
  public record Ack(String key, long version, boolean delete) {}

  private final Map<String, State> states = new ConcurrentHashMap<>();
  /** Per key: deletes sent and deletes answered (acknowledged or not). A 404 carries no version, so a read may only
   *  be judged against deletes that could have been applied while it ran. */
  private final Map<String, long[]> deletes = new ConcurrentHashMap<>();
  private final Queue<Ack> acks = new ConcurrentLinkedQueue<>();

  /**
   * Records an acknowledged put ({@code value != null}) or delete. Returns the previous acknowledged version if the new
   * one does not exceed it (a version regression), else 0.
   */
  public long acked(String key, long version, byte[] value) {
    State prev = states.get(key);
    states.put(key, new State(version, value, false));
    acks.add(new Ack(key, version, value == null));
    return prev != null && version <= prev.version() ? prev.version() : 0;
  }

  /** The key's last write failed: its outcome is unknown. */
  public void uncertain(String key) {
    states.compute(key, (k, prev) -> prev == null ? new State(0, null, true)
        : new State(prev.version(), prev.value(), true));
  }

  /** The key's writer is about to send a delete. */
  public void deleteStarting(String key) {
    deletes.compute(key, (k, c) -> c == null ? new long[] {1, 0} : new long[] {c[0] + 1, c[1]});
  }

  /** The key's writer has its answer to the delete (success or not). */
  public void deleteAnswered(String key) {
    deletes.compute(key, (k, c) -> new long[] {c[0], c[1] + 1});
  }

  /** Deletes of the key answered so far (taken before a read). */
  public long deletesAnswered(String key) {
    long[] c = deletes.get(key);
    return c == null ? 0 : c[1];
  }

  /** Whether a delete of the key was sent after {@code answeredBefore} deletes had been answered. */
  public boolean deleteSentSince(String key, long answeredBefore) {
    long[] c = deletes.get(key);
    return c != null && c[0] > answeredBefore;
  }

  /** Null if the key was never acknowledged. */
  public State get(String key) {
    return states.get(key);
  }

  public Map<String, State> snapshot() {
    return Map.copyOf(states);
  }

  public List<Ack> acks() {
    return new ArrayList<>(acks);
  }
}
