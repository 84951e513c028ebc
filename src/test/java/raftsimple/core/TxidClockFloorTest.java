package raftsimple.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import raftsimple.core.msg.DurableRecord;
import raftsimple.core.msg.Effects;
import raftsimple.core.msg.Input;
import raftsimple.core.msg.Message;

/**
 * The txid clock's floor is durable (DurableRecord.ClockRecord): an entry stamped before a crash may
 * come back only inside a snapshot, and a wall clock stepped back must not stamp a retry of the
 * same payload with the same txid (simulator, membership seed 208011: committed twice).
 */
class TxidClockFloorTest {
  private static final byte[] PAYLOAD = "{\"a\":1}".getBytes(StandardCharsets.UTF_8);

  private static Message.Propose proposal(Effects fx) {
    return (Message.Propose) fx.allSends().stream().filter(m -> m instanceof Message.Propose).findFirst().orElseThrow();
  }

  @Test
  void stampingAnEntry_reservesTimestampsAheadDurably_andTheProposalWaitsForTheReservationOnlyOnce() {
    NodeSettings s = NodeSettings.of("n1", List.of("n1", "n2", "n3"), 1_000);
    Node n = new Node(s, new DurableState(), 1);
    Effects fx = n.step(new Input.Submit(1, 5_000, PAYLOAD, null));
    long reserved = 5_000 + ClientQueue.RESERVE_AHEAD_MS;
    assertTrue(fx.persist.contains(new DurableRecord.ClockRecord(reserved)), fx.persist.toString());
    // The reservation is not durable yet: the proposal carrying the entry leaves behind it.
    assertTrue(fx.sendNow.stream().noneMatch(m -> m instanceof Message.Propose), fx.sendNow.toString());
    assertTrue(fx.sendAfterPersist.stream().anyMatch(m -> m instanceof Message.Propose));
    n.step(new Input.Persisted(fx.persist.size()));
    // Not again for an older wall clock (another payload, so the timestamp need not be bumped),
    // nor below half the reservation: the floor only moves up, and rarely.
    Effects again = n.step(new Input.Submit(2, 4_000, "{\"b\":2}".getBytes(StandardCharsets.UTF_8), null));
    assertTrue(again.persist.stream().noneMatch(r -> r instanceof DurableRecord.ClockRecord), again.persist.toString());
    Effects later = n.step(new Input.Submit(3, reserved - ClientQueue.RESERVE_AHEAD_MS / 2 + 1,
        "{\"c\":3}".getBytes(StandardCharsets.UTF_8), null));
    assertTrue(later.persist.stream().anyMatch(r -> r instanceof DurableRecord.ClockRecord), later.persist.toString());
  }

  @Test
  void afterARestart_theClockStartsAboveTheDurableFloor_evenWithAnOlderWallClock() {
    NodeSettings s = NodeSettings.of("n1", List.of("n1"), 1_000);
    Node before = new Node(s, new DurableState(), 1);
    Effects first = before.step(new Input.Submit(1, 5_000, PAYLOAD, null));
    long firstTs = before.log().get(1).entry().ts();

    // Restart from what was durable: the clock record only (the entry itself never committed here).
    DurableState recovered = new DurableState();
    first.persist.stream().filter(r -> r instanceof DurableRecord.ClockRecord).forEach(recovered::apply);
    Node after = new Node(s, recovered, 2, false);
    after.step(new Input.Submit(1, 5_000 - 3_600_000, PAYLOAD, null)); // clock an hour back
    long retryTs = after.log().get(1).entry().ts();
    assertEquals(5_000, firstTs);
    assertTrue(retryTs > firstTs, "restamped at " + retryTs + " <= " + firstTs + ": the same txid again");
  }
}
