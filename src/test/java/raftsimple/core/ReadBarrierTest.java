package raftsimple.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static raftsimple.core.TestCluster.to;

import org.junit.jupiter.api.Test;
import raftsimple.core.msg.ClientEvent;
import raftsimple.core.msg.Input;
import raftsimple.core.msg.Message;

/** Linearizable read barriers (docs/PROTOCOL.md §9). */
class ReadBarrierTest {
  /**
   * Regression for simulator seed 3. n1 decides the batch [y, z] (indexes 2..3) with n2's vote and
   * acknowledges z; n2 still votes on that instance, n3 has not seen it. A read at n3 hears n2
   * ("length 1, voted": target 2). The answer must cover the whole batch, index 3: a shell that
   * serves the read once its log "reaches 2" could otherwise stop between y and z.
   */
  @Test
  void batchAcknowledgedBeforeRead_readCoversWholeBatch() {
    TestCluster c = new TestCluster(3, 1_000);
    c.submit("n1", "{\"x\":1}"); // proposed alone
    c.submit("n1", "{\"y\":1}"); // queued: the next batch
    c.submit("n1", "{\"z\":1}");
    c.deliverAll(m -> !(m.length() >= 1 && (m.to().equals("n3") || m instanceof Message.Commit)));
    assertEquals(3, c.node("n1").length());
    assertEquals(1, c.node("n2").length());
    assertEquals(1, c.node("n3").length());
    assertTrue(c.released.stream().anyMatch(e -> e.index() == 3), "z acknowledged by n1");

    c.step("n3", new Input.ReadBarrier(99));
    c.deliverAll(m -> (m instanceof Message.ReadQuery && m.to().equals("n2"))
        || (m instanceof Message.ReadReply && m.to().equals("n3")));
    assertTrue(c.clientEvents.stream().noneMatch(e -> e instanceof ClientEvent.ReadReady),
        "n3 must wait for index 2 first");
    c.deliverAll(to("n3").or(m -> !(m instanceof Message.ReadQuery)));
    c.deliverAll();
    ClientEvent.ReadReady ready = (ClientEvent.ReadReady) c.clientEvents.stream()
        .filter(e -> e instanceof ClientEvent.ReadReady r && r.ref() == 99).findFirst().orElseThrow();
    assertEquals(3, ready.length(), "the read must cover the whole batch holding the acknowledged z");
  }

  @Test
  void singleVoterAnswersAtOnce() {
    TestCluster c = new TestCluster(1, 1_000);
    c.submit("n1", "{\"x\":1}");
    c.step("n1", new Input.ReadBarrier(7));
    assertEquals(new ClientEvent.ReadReady(7, 1), c.clientEvents.get(c.clientEvents.size() - 1));
  }
}
