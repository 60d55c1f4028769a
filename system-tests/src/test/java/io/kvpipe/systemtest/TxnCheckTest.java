package io.kvpipe.systemtest;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.testsupport.check.Op;
import io.kvpipe.testsupport.robust.TxnPairClients.Txn;
import java.util.List;
import org.junit.jupiter.api.Test;

class TxnCheckTest {
  @Test
  void anAcknowledgedTxnWhosePutsGotTwoVersionsIsReported() {
    Txn one = new Txn(1, 100, "{p}a", "{p}b", 0, 0, "x", "y", Op.Outcome.OK, true, 7, 7, 0, 1, null);
    Txn split = new Txn(2, 100, "{p}a", "{p}b", 7, 7, "x2", "y2", Op.Outcome.OK, true, 9, 10, 2, 3, null);
    assertThat(TxnCheck.versions(List.of(one))).isEmpty();
    assertThat(TxnCheck.versions(List.of(one, split))).singleElement().asString().contains("not one log entry");
  }
}
