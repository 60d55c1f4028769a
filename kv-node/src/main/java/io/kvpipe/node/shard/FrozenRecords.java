package io.kvpipe.node.shard;

import static io.kvpipe.node.shard.StoreCodec.unpackRec;
import static io.kvpipe.node.shard.StoreCodec.unpackSlot;

import io.kvpipe.node.shard.ShardStore.Rec;
import io.kvpipe.node.shard.ShardStore.Slot;
import java.util.Iterator;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * The records of a {@link ShardStore} as they were at {@link ShardStore#freeze()}, read once by the snapshot writer
 * while the apply thread goes on: {@link #forEach} once, then {@link #release}. The records index's leaves never
 * change, so the view is the list of them at the freeze.
 */
final class FrozenRecords {
  private final int size;
  private final List<PackedLeaf> leaves;
  private final Consumer<FrozenRecords> onRelease;

  FrozenRecords(int size, List<PackedLeaf> leaves, Consumer<FrozenRecords> onRelease) {
    this.size = size;
    this.leaves = leaves;
    this.onRelease = onRelease;
  }

  /** How many records the view holds. */
  int size() {
    return size;
  }

  /** Each record of the view, in store order. */
  void forEach(BiConsumer<Slot, Rec> action) {
    Iterator<PackedMap.View> it = PackedMap.iterate(leaves);
    while (it.hasNext()) {
      PackedMap.View v = it.next();
      action.accept(unpackSlot(v), unpackRec(v));
    }
  }

  /** Lets the store's next view be taken. */
  void release() {
    onRelease.accept(this);
  }
}
