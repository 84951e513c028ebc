package raftsimple.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static raftsimple.core.TestCluster.from;
import static raftsimple.core.TestCluster.kind;
import static raftsimple.core.TestCluster.to;

import java.util.List;
import org.junit.jupiter.api.Test;
import raftsimple.core.msg.Message;

/**
 * The brief's durability-order counterexample ("Durability order", 3 voters), replayed by hand. n3
 * proposes P3, which nobody receives, and times out into recovery; n1 proposes P1 and n2 votes for
 * it, its grant still in flight to n1; n3's prepare reaches n2 first.
 *
 * <p>A promise reports what the voter knows in memory, so n3 sees n2's vote for P1 with P1's
 * proposer silent: P1 might be committed and n3 finishes it. The flawed variant, a promise that
 * reports only durable state (the vote's write still in flight), lets n3 choose freely while n1
 * decides P1 with n2's grant: two values on one head. The simulator's planted-bug survey runs the
 * same flaw at random ({@code PlantedBugTest}, {@code Sabotage.PROMISE_REPORTS_DURABLE_ONLY}).
 */
class DurabilityOrderTest {
  private static TestCluster untilPromise() {
    TestCluster c = new TestCluster(3, 1_000);
    c.submit("n3", "{\"p\":3}");
    c.drop(from("n3")); // P3 reaches nobody
    c.submit("n1", "{\"p\":1}");
    c.deliver(from("n1").and(to("n2")).and(kind(Message.Propose.class)));
    return c;
  }

  private static void finish(TestCluster c, Message grant, Message.Promise promise) {
    c.receive(promise);
    c.deliver(from("n3").and(to("n2")));
    c.deliver(from("n2").and(to("n3")));
    c.receive(grant); // n2's vote reaches n1 before anything of n3's ballot does
  }

  @Test
  void promiseReportsInMemoryVote_coordinatorFinishesTheProposal() {
    TestCluster c = untilPromise();
    Message grant = c.take(from("n2").and(kind(Message.Vote.class)));
    c.tickOnlyUntil("n3", from("n3").and(kind(Message.Prepare.class)), 3_000);
    c.deliver(from("n3").and(to("n2")).and(kind(Message.Prepare.class)));
    Message.Promise p = (Message.Promise) c.take(from("n2").and(kind(Message.Promise.class)));
    finish(c, grant, p);
    assertTrue(c.node("n3").marks().count("H3.finish-might-be-committed") >= 1);
    assertEquals(List.of("{\"p\":1}"), c.payloads("n1"));
    assertEquals(c.payloads("n1"), c.payloads("n3"));
  }

  @Test
  void plantedFlaw_promiseReportingOnlyDurableState_decidesTwoValuesOnOneHead() {
    TestCluster c = untilPromise();
    Message grant = c.take(from("n2").and(kind(Message.Vote.class)));
    c.tickOnlyUntil("n3", from("n3").and(kind(Message.Prepare.class)), 3_000);
    c.deliver(from("n3").and(to("n2")).and(kind(Message.Prepare.class)));
    Message.Promise p = (Message.Promise) c.take(from("n2").and(kind(Message.Promise.class)));
    Message.Promise durableOnly = new Message.Promise(p.from(), p.to(), p.length(), p.head(),
        p.ballot(), true, null, null, null, null, false);
    finish(c, grant, durableOnly);
    assertEquals(1, c.node("n1").length());
    assertEquals(1, c.node("n3").length());
    assertNotEquals(c.node("n1").head(), c.node("n3").head(), "the flaw must break agreement");
  }
}
