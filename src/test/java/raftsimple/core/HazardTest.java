package raftsimple.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static raftsimple.core.TestCluster.from;
import static raftsimple.core.TestCluster.kind;
import static raftsimple.core.TestCluster.to;
import static raftsimple.core.TestCluster.touching;

import java.util.List;
import org.junit.jupiter.api.Test;
import raftsimple.chain.ChainVerifier;
import raftsimple.chain.Hash;
import raftsimple.core.msg.Message;

/**
 * One scenario per hazard of docs/PROTOCOL.md (H1–H8), driven by hand so each shows the exact
 * interleaving it is about, and asserting the coverage mark of the path it claims to exercise
 * (STYLE rule 18). The simulator explores the same hazards at random; these pin them down.
 */
class HazardTest {
  private static final String A = "{\"a\":1}";
  private static final String B = "{\"b\":2}";
  private static final String C = "{\"c\":3}";

  private static void assertSameLogs(TestCluster c, List<String> expected) {
    Hash head = null;
    for (String id : c.nodes.keySet()) {
      assertEquals(expected, c.payloads(id), id + " " + c.node(id).marks().snapshot());
      if (head != null) {
        assertEquals(head, c.node(id).head(), id);
      }
      head = c.node(id).head();
      CommittedLog log = c.node(id).log();
      assertNull(ChainVerifier.firstProblem(0, Hash.ZERO, log.range(1, (int) log.length())), id);
    }
  }

  @Test
  void h1_twoProposersSameHead_atMostOneCommitted() {
    TestCluster c = new TestCluster(3, 1_000);
    c.submit("n1", A);
    c.submit("n2", B);
    Message.Propose p1 = (Message.Propose) c.take(from("n1").and(to("n3")).and(kind(Message.Propose.class)));
    c.receive(p1);
    c.deliver(from("n2").and(to("n3")).and(kind(Message.Propose.class)));
    // n3 voted for the first proposal on the head and refuses the second, naming its vote.
    Message.Vote refusal = (Message.Vote) c.take(from("n3").and(to("n2")).and(kind(Message.Vote.class)));
    assertFalse(refusal.granted());
    assertEquals(p1.proposal().id(), refusal.votedFor());
    assertTrue(c.node("n3").marks().count("H1.refuse-second-proposal") >= 1);
    c.receive(refusal);
    c.deliverAll();
    c.tick(3_000);
    // One value on head 0 (n1's); n2's entry follows on the next head.
    assertSameLogs(c, List.of(A, B));
  }

  @Test
  void h2_restartedVoter_neverVotesTwice() {
    TestCluster c = new TestCluster(3, 1_000);
    c.submit("n1", A);
    c.submit("n2", B);
    Message.Propose p1 = (Message.Propose) c.take(from("n1").and(to("n3")).and(kind(Message.Propose.class)));
    c.receive(p1);
    c.drop(from("n3")); // its grant never left the machine
    c.crash("n3");
    c.start("n3"); // rebuilt from its write-ahead log: the vote was durable before any reply
    c.deliver(from("n2").and(to("n3")).and(kind(Message.Propose.class)));
    Message.Vote second = (Message.Vote) c.take(from("n3").and(to("n2")).and(kind(Message.Vote.class)));
    assertFalse(second.granted(), "a restarted voter must not vote for a second proposal on one head");
    assertEquals(p1.proposal().id(), second.votedFor());
    // The first proposal, retransmitted, gets the same vote again.
    c.receive(p1);
    Message.Vote again = (Message.Vote) c.take(from("n3").and(to("n1")).and(kind(Message.Vote.class)));
    assertTrue(again.granted());
    c.deliverAll();
    c.tick(3_000);
    assertSameLogs(c, List.of(A, B));
  }

  @Test
  void h3_proposerCrashesAfterMajority_othersFinishEntry() {
    TestCluster c = new TestCluster(3, 500);
    c.submit("n1", A);
    c.deliver(from("n1").and(to("n2")).and(kind(Message.Propose.class))); // n2 votes for A
    c.drop(m -> true); // n1's proposal to n3 and n2's grant are lost
    c.crash("n1"); // n1 had a majority within reach: A may be committed
    c.submit("n3", C); // a competing proposal on the same head
    c.tick(5_000);
    // n2 and n3 form a quorum without A's proposer; A has a vote in it, so it might have been
    // committed and recovery must finish A, never choose C on this head.
    assertTrue(c.marks("H3.finish-might-be-committed") >= 1, c.node("n2").marks().snapshot().toString());
    assertSameLogs(c, List.of(A, C));
    c.start("n1");
    c.tick(3_000);
    assertSameLogs(c, List.of(A, C));
  }

  @Test
  void h4_splitVote_resolvedWithoutTimeout() {
    for (int n : new int[] {3, 5}) {
      TestCluster c = new TestCluster(n, 1_500);
      long start = c.now;
      for (String id : c.ids) {
        c.submit(id, "{\"from\":\"" + id + "\"}");
      }
      c.deliverAll(); // no time passes: no timer can fire
      assertEquals(start, c.now);
      assertTrue(c.marks("H4.split-detected") >= 1, "voters=" + n);
      assertEquals(0, c.marks("16a.head-timeout-recovery"), "voters=" + n);
      for (String id : c.ids) {
        assertEquals(n, c.node(id).length(), id + " voters=" + n + " " + c.node(id).marks().snapshot());
        assertEquals(0, c.node(id).queued());
      }
      assertSameLogs(c, c.payloads("n1"));
    }
  }

  @Test
  void h6_laggingNode_catchesUpVerified() {
    // One-entry batches and one-entry fetches: catching up takes many verified batches.
    TestCluster c = new TestCluster(3, id -> new NodeSettings(id, TestCluster.names(3), false, 1_000,
        200, 100, 2_000, 1, 4 << 20, 50_000, 1));
    for (int i = 0; i < 8; i++) {
      c.submit("n1", "{\"i\":" + i + "}");
      c.deliverAll(touching("n3").negate());
      c.drop(touching("n3"));
    }
    assertEquals(8, c.node("n1").length());
    assertEquals(0, c.node("n3").length());
    // A proposal for a head n3 has not reached: it keeps it for later and does not vote.
    c.submit("n1", "{\"i\":8}");
    c.deliver(from("n1").and(to("n3")).and(kind(Message.Propose.class)));
    assertTrue(c.wire.stream().noneMatch(from("n3").and(kind(Message.Vote.class))));
    assertTrue(c.node("n3").marks().count("16.head-mismatch-behind") >= 1);
    c.tick(3_000);
    assertTrue(c.node("n3").marks().count("H6.fetched-batch") >= 8);
    assertEquals(9, c.node("n3").length());
    assertSameLogs(c, c.payloads("n1"));
  }

  @Test
  void h8_clockSkewOfHours_changesNothing() {
    List<String> plain = skewScenario(false);
    List<String> skewed = skewScenario(true);
    assertEquals(plain, skewed);
  }

  /** The same inputs, with or without wall clocks hours apart (one stepping back) and odd monotonic origins. */
  private static List<String> skewScenario(boolean skew) {
    TestCluster c = new TestCluster(3, id -> NodeSettings.of(id, TestCluster.names(3), 1_000));
    if (skew) {
      c.wallSkew.put("n1", 5 * 3_600_000L);
      c.wallSkew.put("n2", -7 * 3_600_000L);
      c.wallSkew.put("n3", 37_000L);
      c.clockOffset.put("n2", 86_400_000L * 30);
      c.clockOffset.put("n3", 123_456_789L);
    }
    for (int round = 0; round < 4; round++) {
      for (String id : c.ids) {
        c.submit(id, "{\"r\":" + round + ",\"n\":\"" + id + "\"}");
      }
      if (skew && round == 1) {
        c.wallSkew.put("n1", c.wallSkew.get("n1") - 3 * 3_600_000L); // NTP steps n1 back 3 hours
      }
      c.submit("n1", "{\"same\":true}"); // the same payload every round: a new entry each time
      c.deliverAll();
      c.tick(500);
    }
    c.tick(3_000);
    assertSameLogs(c, c.payloads("n1"));
    assertEquals(16, c.node("n1").length());
    return c.payloads("n1");
  }
}
