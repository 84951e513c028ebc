package raftsimple.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static raftsimple.core.TestCluster.from;
import static raftsimple.core.TestCluster.kind;
import static raftsimple.core.TestCluster.to;

import java.util.List;
import org.junit.jupiter.api.Test;
import raftsimple.core.msg.Message;

/** Recovery rounds (docs/PROTOCOL.md §5): scenarios the simulator found. */
class RecoveryTest {
  /**
   * Regression for simulator seed 419. n3's proposal is lost; its head timeout starts a recovery
   * whose free choice is a new union of its proposal and its queue, accepted locally; the accepts
   * are lost. Its next ballot finds its own accepted union as the highest accepted value and must be
   * able to propose it again (before the fix it could not look it up and gave up, forever, while
   * n1 and n2 had no reason to recover).
   */
  @Test
  void coordinatorsNextBallot_findsItsOwnAcceptedUnion() {
    TestCluster c = new TestCluster(3, 500);
    c.submit("n3", "{\"e\":1}"); // proposed alone
    c.submit("n3", "{\"e\":2}"); // queued behind it
    c.drop(m -> true);
    c.tickOnly("n3", 800); // head timeout: recovery at ballot (1,n3)
    c.deliver(from("n3").and(to("n1")).and(kind(Message.Prepare.class)));
    c.deliver(from("n1").and(to("n3")));
    assertEquals(1, c.node("n3").marks().count("recovery.free-union"));
    c.drop(m -> true); // the accepts of ballot 1 are lost
    c.tickOnly("n3", 2_000); // the next ballot
    c.drop(m -> !(m instanceof Message.Prepare));
    c.deliverAll();
    c.tick(2_000);
    assertEquals(0, c.marks("recovery.nothing-to-decide"), c.node("n3").marks().snapshot().toString());
    assertTrue(c.node("n3").marks().count("recovery.highest-accepted") >= 1);
    for (String id : c.ids) {
      assertEquals(List.of("{\"e\":1}", "{\"e\":2}"), c.payloads(id), id);
      assertEquals(0, c.node(id).queued());
    }
  }
}
