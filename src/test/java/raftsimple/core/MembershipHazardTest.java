package raftsimple.core;

import raftsimple.core.msg.Membership;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static raftsimple.core.TestCluster.from;
import static raftsimple.core.TestCluster.kind;
import static raftsimple.core.TestCluster.to;
import static raftsimple.core.TestCluster.touching;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import raftsimple.chain.Hash;
import raftsimple.chain.LogEntry;
import raftsimple.core.msg.Membership.Change;
import raftsimple.core.msg.Membership.Role;
import raftsimple.core.msg.ClientEvent;
import raftsimple.core.msg.Effects;
import raftsimple.core.msg.Message;

/**
 * H7 (membership changes while entries are in flight) and snapshots, hand-driven (docs/PROTOCOL.md
 * §11, §12): one scenario per hazard, each asserting the coverage mark of the path it claims. The
 * membership swarm of the simulator explores the same at random (docs/SIMULATION.md).
 */
class MembershipHazardTest {
  private static final String A = "{\"a\":1}";
  private static final String B = "{\"b\":2}";
  private static final String X = "{\"x\":1}";
  private static final String Y = "{\"y\":1}";

  static Change change(Change.Op op, String id, Role role, long base) {
    return new Change(op, id, op == Change.Op.ADD ? "https://" + id + ":6969" : null, role, base);
  }

  /** The SystemApplied events {@code id} released, ok or not. */
  static List<ClientEvent.SystemApplied> applied(TestCluster c, String id) {
    List<ClientEvent.SystemApplied> out = new ArrayList<>();
    for (ClientEvent e : c.events(id)) {
      if (e instanceof ClientEvent.SystemApplied s) {
        out.add(s);
      }
    }
    return out;
  }

  /** Every node holds the same entries and, at every instance boundary it holds, the same voters. */
  static void assertVotersOfEachHeadAgree(TestCluster c) {
    Node ref = c.node("n1");
    for (String id : c.nodes.keySet()) {
      Node n = c.node(id);
      assertEquals(ref.head(), n.head(), id);
      for (long l = n.log().baseLength(); l <= n.length(); l++) {
        Membership m = n.membershipAt(l);
        if (n.log().isBoundary(l) && m.version() <= l) {
          assertEquals(ref.membershipAt(l), m, id + " at length " + l);
        }
      }
    }
  }

  @Test
  void h7_memberAddedWhileEntriesInFlight_votersOfEachHeadAgree() {
    TestCluster c = new TestCluster(3, 1_000);
    c.submitChange("n1", change(Change.Op.ADD, "n4", Role.LEARNER, 0));
    c.submit("n2", A); // client entries collide with the change on the same head
    c.submit("n3", B);
    c.deliverAll();
    c.tick(1_000);
    ClientEvent.SystemApplied added = applied(c, "n1").get(0);
    assertTrue(added.ok(), added.toString());
    // The joiner starts from the configuration the member it asked reports for the change.
    c.join("n4", c.node("n1").membershipAt(added.index()));
    for (int i = 0; i < 12; i++) {
      c.submit("n" + (1 + i % 3), "{\"i\":" + i + "}"); // in flight while n4 catches up, is promoted
      c.tick(60);
    }
    c.tick(3_000);
    assertTrue(c.marks("H7.promote-learner") >= 1);
    assertTrue(c.node("n2").membership().isVoter("n4"), c.node("n2").membership().toString());
    assertVotersOfEachHeadAgree(c);
    // The change, A, B, 12 entries and the promotion.
    assertEquals(16, c.node("n4").length(), c.payloads("n1").toString());
    // Four voters now: with n3 down, n1 and n2 alone are not a majority; n4 is needed and counted.
    c.crash("n3");
    c.crash("n4");
    c.submit("n1", "{\"after\":1}");
    c.tick(2_000);
    assertEquals(16, c.node("n1").length());
    c.start("n4");
    c.tick(3_000);
    assertEquals(17, c.node("n1").length());
    assertVotersOfEachHeadAgree(c);
  }

  /**
   * Under continuous writes a learner that keeps pace is always a few entries behind the voters'
   * current length; it must still be promoted (the bar is the length two heartbeats ago). With the
   * bar at the current length it stayed a learner for as long as clients wrote (real processes).
   */
  @Test
  void h7_aLearnerThatKeepsPaceIsPromotedWhileClientsKeepWriting() {
    TestCluster c = new TestCluster(TestCluster.members(List.of("n1", "n2", "n3"),
        Map.of("n4", Role.LEARNER)), 1_000);
    boolean promotedWhileWriting = false;
    for (int i = 0; i < 400 && !promotedWhileWriting; i++) {
      c.submit("n" + (1 + i % 3), "{\"w\":" + i + "}");
      c.tick(10); // an entry every 10 ms: there is always one in flight at a heartbeat
      promotedWhileWriting = c.node("n1").membership().isVoter("n4");
    }
    assertTrue(promotedWhileWriting, "n4 stayed a learner through 4 s of writes; n1 at "
        + c.node("n1").length() + ", n4 at " + c.node("n4").length());
    assertTrue(c.marks("H7.promote-learner") >= 1);
    c.tick(3_000);
    assertVotersOfEachHeadAgree(c);
    assertEquals(c.node("n1").length(), c.node("n4").length());
  }

  @Test
  void h7_learnerDoesNotCountTowardQuorum() {
    TestCluster c = new TestCluster(TestCluster.members(List.of("n1", "n2", "n3"),
        Map.of("n4", Role.LEARNER)), 1_000);
    List<Message> fromLearner = new ArrayList<>();
    c.listener = (id, stepAndEffects) -> {
      if (id.equals("n4")) {
        fromLearner.addAll(((Effects) stepAndEffects[1]).allSends());
      }
    };
    c.crash("n2");
    c.crash("n3");
    c.submit("n1", A);
    assertTrue(c.wire.stream().noneMatch(to("n4").and(kind(Message.Propose.class))),
        "a proposal goes to voters only");
    Message.Propose p = (Message.Propose) c.take(to("n2").and(kind(Message.Propose.class)));
    // Even a grant from the learner (forged here) does not count toward the majority.
    c.receive(new Message.Vote("n4", "n1", 0, Hash.ZERO, p.proposal().id(), true, null, null, false));
    c.tick(3_000);
    assertEquals(0, c.node("n1").length(), "n1 and a learner are not a majority of 3 voters");
    assertTrue(fromLearner.stream().noneMatch(m -> m instanceof Message.Vote
        || m instanceof Message.Propose || m instanceof Message.Prepare
        || m instanceof Message.Promise || m instanceof Message.Accept
        || m instanceof Message.Accepted), "a learner takes part in no instance: " + fromLearner);
    c.start("n2");
    c.tick(5_000);
    assertEquals(A, c.payloads("n1").get(0));
    assertTrue(c.node("n1").membership().isVoter("n4"), "caught up, then promoted");
    assertTrue(c.marks("H7.promote-learner") >= 1);
  }

  @Test
  void h7_removeVoter_neverLeavesHeadUndecidable() {
    TestCluster c = new TestCluster(2, 500);
    c.submitChange("n2", change(Change.Op.REMOVE, "n2", null, 0));
    c.deliver(kind(Message.Propose.class));
    c.deliver(kind(Message.Vote.class)); // n2 decides its own removal with n1's vote
    c.drop(kind(Message.Commit.class)); // ... and n1 never hears of it
    assertEquals(1, c.node("n2").length());
    assertEquals(0, c.node("n1").length());
    // Were n2 to confirm now, its operator would stop it, and n1, still under {n1, n2} on that
    // head, could never finish it. So n2 holds the confirmation until n1 has the change.
    assertTrue(applied(c, "n2").isEmpty(), applied(c, "n2").toString());
    assertTrue(c.node("n2").marks().count("H7.confirm-waits-for-new-majority") >= 1);
    c.tick(5_000); // n1's recovery asks n2, which is past the head; n1 catches up from it
    assertEquals(1, c.node("n1").length());
    assertEquals(List.of("n1"), c.node("n1").membership().voters());
    assertTrue(applied(c, "n1").get(0).ok(), "n1 holds the change and confirms it");
    // n1's last report to n2 says it holds the removal: only now does n2 confirm it.
    assertTrue(applied(c, "n2").get(0).ok(), applied(c, "n2").toString());
    assertFalse(c.node("n2").ready());
    // Once confirmed anywhere, stopping the removed node leaves a cluster that decides.
    c.crash("n2");
    c.submit("n1", A);
    c.tick(1_000);
    assertEquals(A, c.payloads("n1").get(1));
  }

  /**
   * A voter removed while cut off still believes in the old configuration; once back it must learn
   * of its removal, which only the log can tell it. The members no longer count it as one, yet
   * they must answer its position reports and serve its fetches (real-process MembershipIT: it
   * stayed a "voter" of the old configuration for good).
   */
  @Test
  void h7_aVoterRemovedWhileCutOffLearnsOfItsRemovalOnceBack() {
    TestCluster c = new TestCluster(3, 500);
    c.submit("n1", A);
    c.tick(1_000);
    c.submitChange("n1", change(Change.Op.REMOVE, "n3", null, c.node("n1").membership().version()));
    c.submit("n2", B);
    c.tick(2_000, touching("n3").negate());
    assertFalse(c.node("n1").membership().members().containsKey("n3"));
    assertEquals(1, c.node("n3").length(), "n3 was cut off before the removal");
    assertTrue(c.node("n3").membership().isVoter("n3"));
    c.tick(3_000); // healed
    assertEquals(c.node("n1").head(), c.node("n3").head());
    assertFalse(c.node("n3").membership().members().containsKey("n3"), "n3 learned of its removal");
    assertFalse(c.node("n3").ready());
    assertTrue(c.marks("H7.status-to-non-member") + c.marks("H7.fetch-from-non-member") >= 1);
    // It is not taken for a member: a proposal from it is still ignored.
    assertEquals(List.of("n1", "n2"), c.node("n1").membership().voters());
  }

  @Test
  void h7_concurrentChanges_secondIsRefusedNoop() {
    TestCluster c = new TestCluster(3, 1_000);
    // Both made against version 0, at two voters: both pass the pre-check.
    c.submitChange("n1", change(Change.Op.ADD, "n4", Role.READ_ONLY, 0));
    c.submitChange("n2", change(Change.Op.REMOVE, "n3", null, 0));
    c.deliverAll();
    c.tick(3_000);
    List<ClientEvent.SystemApplied> seen = applied(c, "n1");
    assertEquals(2, seen.size(), seen.toString());
    ClientEvent.SystemApplied first = seen.get(0).index() < seen.get(1).index() ? seen.get(0) : seen.get(1);
    ClientEvent.SystemApplied second = first == seen.get(0) ? seen.get(1) : seen.get(0);
    assertTrue(first.ok());
    assertFalse(second.ok(), "one change at a time: the second names an old version");
    assertTrue(second.reason().contains("changed meanwhile"), second.reason());
    assertTrue(c.marks("H7.membership-change-refused") >= 1);
    // The refused entry is committed (in every log) and changed nothing: the configuration is the
    // first change applied to version 0, made by the first entry.
    Membership m = c.node("n1").membership();
    assertEquals(first.index(), m.version());
    boolean added = m.get("n4") != null;
    boolean removed = m.get("n3") == null;
    assertTrue(added ^ removed, m.toString());
    assertEquals(added ? 4 : 2, m.members().size());
    for (String id : List.of("n1", "n2")) {
      assertEquals(m, c.node(id).membership(), id);
      assertTrue(c.node(id).length() >= second.index());
    }
  }

  @Test
  void snapshot_laggingNodeInstallsSnapshotThenSuffix() {
    TestCluster c = new TestCluster(3, id -> new NodeSettings(id, TestCluster.names(3), false, 1_000,
        200, 100, 2_000, 1, 4 << 20, 50_000, 2));
    for (int i = 0; i < 13; i++) {
      c.submit("n1", "{\"i\":" + i + "}");
      c.deliverAll(touching("n3").negate());
      c.drop(touching("n3"));
      if (i == 9) {
        c.takeSnapshot("n1", 0); // the first 10 entries are gone from memory
        c.takeSnapshot("n2", 0);
      }
    }
    assertEquals(10, c.node("n1").log().baseLength());
    c.tick(1_000);
    assertEquals(1, c.snapshotFetches.size(), c.snapshotFetches.toString());
    Map.Entry<String, Effects.SnapshotFetch> f = c.snapshotFetches.get(0);
    assertEquals("n3", f.getKey());
    assertEquals(10, f.getValue().length());
    assertTrue(c.marks("H6.offer-snapshot") >= 1);
    // The shell fetched the peer's snapshot, made it durable, restored the state machine.
    c.installSnapshot("n3", c.snapshots.get(f.getValue().peer()));
    c.tick(2_000);
    Node n3 = c.node("n3");
    assertTrue(n3.marks().count("H6.snapshot-installed") >= 1);
    assertEquals(10, n3.log().baseLength());
    assertEquals(13, n3.length());
    assertEquals(c.node("n1").head(), n3.head());
    assertEquals(c.payloads("n1"), c.payloads("n3"), "the suffix after the snapshot, fetched and verified");
    c.crash("n3");
    c.start("n3"); // snapshot + the WAL after it
    assertEquals(13, c.node("n3").length());
    assertEquals(c.node("n1").head(), c.node("n3").head());
  }

  @Test
  void snapshot_installDropsQueueWithoutDuplicates() {
    TestCluster c = new TestCluster(3, 1_000);
    List<Message> fromN3 = new ArrayList<>();
    c.listener = (id, stepAndEffects) -> {
      if (id.equals("n3")) {
        fromN3.addAll(((Effects) stepAndEffects[1]).allSends());
      }
    };
    c.submit("n1", A);
    c.submit("n3", X);
    c.deliver(from("n3").and(to("n2")).and(kind(Message.Propose.class))); // n2 votes for X
    c.deliver(from("n1").and(to("n2")).and(kind(Message.Propose.class)));
    c.deliver(from("n1").and(to("n3")).and(kind(Message.Propose.class)));
    c.deliver(from("n3").and(to("n1")).and(kind(Message.Propose.class)));
    // n3 is cut off; n1 sees the split and recovers with n2: X has n2's vote and its proposer is
    // silent, so X might be committed and is chosen. n3 never learns that X committed.
    c.tick(3_000, touching("n3").negate());
    c.submit("n3", Y); // queued behind its own undecided X
    c.drop(touching("n3"));
    for (int i = 0; i < 4; i++) {
      c.submit("n1", "{\"i\":" + i + "}");
      c.tick(200, touching("n3").negate());
    }
    assertTrue(c.payloads("n1").contains(X), c.payloads("n1").toString());
    c.takeSnapshot("n1", 0);
    c.takeSnapshot("n2", 0);
    assertEquals(2, c.node("n3").queued());
    c.tick(1_000);
    Map.Entry<String, Effects.SnapshotFetch> f = c.snapshotFetches.get(0);
    int sentBefore = fromN3.size();
    Effects fx = c.installSnapshot("n3", c.snapshots.get(f.getValue().peer()));
    // The snapshot has no txids: n3 cannot tell that X is in it, so it drops its whole queue and
    // leaves the outcome to the clients, rather than propose X a second time.
    ClientEvent.QueueDropped dropped = (ClientEvent.QueueDropped) fx.client.get(0);
    assertEquals(2, dropped.txids().size());
    assertEquals(0, c.node("n3").queued());
    c.tick(3_000);
    assertEquals(c.node("n1").head(), c.node("n3").head());
    assertOnceEach(c.released);
    assertEquals(1, count(c.released, X), "X committed once, inside the snapshot");
    assertEquals(0, count(c.released, Y), "Y was never proposed anywhere: never committed");
    for (Message m : fromN3.subList(sentBefore, fromN3.size())) {
      if (m instanceof Message.Propose p) {
        assertTrue(p.proposal().entries().stream().noneMatch(e -> dropped.txids().contains(e.txid())),
            "a dropped entry is never proposed again: " + p);
      }
    }
    assertTrue(c.node("n3").marks().count("H6.snapshot-installed") >= 1);
  }

  private static long count(List<LogEntry> released, String payload) {
    return released.stream().filter(e -> new String(e.entry().payload(), StandardCharsets.UTF_8)
        .equals(payload)).map(LogEntry::index).distinct().count();
  }

  /** No txid was released at two different indexes, anywhere. */
  private static void assertOnceEach(List<LogEntry> released) {
    Map<Hash, Long> at = new HashMap<>();
    for (LogEntry e : released) {
      Long before = at.putIfAbsent(e.txid(), e.index());
      assertTrue(before == null || before == e.index(), "txid committed at two indexes: " + e);
    }
  }
}
