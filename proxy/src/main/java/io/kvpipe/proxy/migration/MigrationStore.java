package io.kvpipe.proxy.migration;

import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.error.OutcomeUnknownException;
import io.kvpipe.common.topology.MetaCommand;
import io.kvpipe.common.topology.Migration;
import io.kvpipe.common.topology.Topology;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Predicate;

/**
 * Migration records in the meta group, changed by read-modify-write: the change is computed from a fresh topology and
 * submitted with {@code expectedVersion} = that topology's version, so a concurrent writer (another proxy's PATCH,
 * a health flip, a rival coordinator) makes it retry on the newer record instead of overwriting it. Thread-safe.
 */
public final class MigrationStore {
  private static final int MAX_ATTEMPTS = 50;

  private final MetaAccess meta;
  private final LongSupplier clock;

  public MigrationStore(MetaAccess meta, LongSupplier clock) {
    this.meta = meta;
    this.clock = clock;
  }

  public MetaAccess meta() {
    return meta;
  }

  public long now() {
    return clock.getAsLong();
  }

  public Topology topology() {
    return meta.snapshot();
  }

  public Optional<MigrationRecord> read(String id) {
    return meta.snapshot().migration(id).map(MigrationRecord::new);
  }

  /**
   * Applies {@code change} to the current record of {@code id} until the meta group accepts it. {@code change} sees
   * the topology it was read from and may throw (e.g. the lease is someone else's) to give up; returning the record
   * unchanged writes nothing.
   */
  public MigrationRecord update(String id, Function<Context, MigrationRecord> change) {
    for (int attempt = 1; ; attempt++) {
      Topology t = meta.snapshot();
      MigrationRecord current = t.migration(id).map(MigrationRecord::new)
          .orElseThrow(() -> new KvException(ErrorCode.NOT_FOUND, "no migration " + id));
      MigrationRecord next = change.apply(new Context(t, current));
      if (next.migration().equals(current.migration())) {
        return current;
      }
      try {
        meta.submit(new MetaCommand.PutMigration(next.migration(), t.version(), now()));
        return next;
      } catch (OutcomeUnknownException e) {
        if (holds(id, next.migration())) {
          return next;
        }
        throw e;
      } catch (KvException e) {
        if (e.code() != ErrorCode.CONFLICT || attempt >= MAX_ATTEMPTS || !versionMoved(t)) {
          throw e;
        }
      }
    }
  }

  /**
   * After an unknown outcome of a write of {@code m} (the meta group answered a resend of it "already applied", or
   * the write timed out): whether the meta group holds {@code m} as the record of {@code id}, i.e. the write was
   * applied. False also if the topology cannot be read now; the caller then keeps the unknown outcome.
   */
  boolean holds(String id, Migration m) {
    return holds(id, m::equals);
  }

  /**
   * Whether the meta group holds a record of {@code id} that passes {@code test}; false also if the topology cannot
   * be read now (the caller then keeps the unknown outcome it is settling).
   */
  boolean holds(String id, Predicate<Migration> test) {
    try {
      return meta.snapshot().migration(id).map(test::test).orElse(false);
    } catch (KvException e) {
      return false;
    }
  }

  /** Creates a record, guarded by the version of the topology it was planned from. */
  public void create(Migration m, long expectedVersion) {
    meta.submit(new MetaCommand.PutMigration(m, expectedVersion, now()));
  }

  /** A CONFLICT with an unchanged version is a real refusal (e.g. another migration in flight), not a race. */
  private boolean versionMoved(Topology readFrom) {
    return meta.snapshot().version() != readFrom.version();
  }

  /** What a change is computed from. */
  public record Context(Topology topology, MigrationRecord record) {}
}
