package raftsimple.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import raftsimple.chain.Hash;
import raftsimple.chain.Hashing;

/** The log's table of idempotency keys in flight lives as long as their entries (§10). */
class PendingKeysTest {
  private final PendingKeys keys = new PendingKeys();

  private static Hash h(String s) {
    return Hashing.sha256(s.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void aKeyIsPendingFromItsSubmitUntilItsEntryIsReleased() {
    keys.submitted(7, "k", h("body"));
    assertEquals(new PendingKeys.Pending("k", h("body"), 7, null), keys.get("k"));
    keys.assigned(7, h("tx"));
    assertEquals(new PendingKeys.Pending("k", h("body"), 7, h("tx")), keys.get("k"));
    keys.released(h("other-tx"));
    assertEquals(h("tx"), keys.get("k").txid(), "another entry's outcome frees nothing");
    keys.released(h("tx"));
    assertNull(keys.get("k"));
    assertEquals(0, keys.size());
  }

  /** The first attempt's client is long gone (503) when its entry commits; the key outlives it. */
  @Test
  void aKeyOutlivesItsFirstClient_onlyTheEntrysFateFreesIt() {
    keys.submitted(1, "k", h("body"));
    keys.assigned(1, h("tx"));
    keys.assigned(1, h("tx-again")); // a late or repeated event for the ref changes nothing
    assertEquals(h("tx"), keys.get("k").txid());
    assertEquals(1, keys.size());
  }

  @Test
  void aRefusedSubmitLeavesNoKey() {
    keys.submitted(3, "k", h("body"));
    keys.refused(3);
    assertNull(keys.get("k"));
    keys.submitted(4, "k", h("body")); // a new attempt may take the key
    assertEquals(4, keys.get("k").ref());
  }

  @Test
  void aKeyInFlightCannotBeSubmittedTwice() {
    keys.submitted(5, "k", h("body"));
    assertThrows(IllegalStateException.class, () -> keys.submitted(6, "k", h("body")));
  }
}
