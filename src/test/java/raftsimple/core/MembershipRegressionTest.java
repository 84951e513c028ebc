package raftsimple.core;

import raftsimple.core.msg.Membership;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static raftsimple.core.MembershipHazardTest.applied;
import static raftsimple.core.MembershipHazardTest.change;
import static raftsimple.core.TestCluster.from;
import static raftsimple.core.TestCluster.kind;
import static raftsimple.core.TestCluster.to;
import static raftsimple.core.TestCluster.touching;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import raftsimple.chain.Hash;
import raftsimple.core.msg.Membership.Change;
import raftsimple.core.msg.Membership.Role;
import raftsimple.core.msg.ClientEvent;
import raftsimple.core.msg.Effects;
import raftsimple.core.msg.Input;
import raftsimple.core.msg.Message;

/**
 * Core bugs the membership swarm found (docs/SIMULATION.md, "Bugs the simulator found"), each
 * pinned by a hand-driven scenario of its cause: the swarm's seed-to-options mapping changes as
 * the swarm grows, so the seeds themselves are only named.
 */
class MembershipRegressionTest {
  private static final String A = "{\"a\":1}";

  private static TestCluster threeVoters(long headTimeoutMs) {
    return new TestCluster(3, headTimeoutMs);
  }

  /** Seed 4: a joiner reported the changes already in its configuration as refused. */
  @Test
  void joinerCatchingUp_reportsNoEarlierChangeAsRefused() {
    TestCluster c = threeVoters(1_000);
    c.submitChange("n1", change(Change.Op.ADD, "n5", Role.READ_ONLY, 0));
    c.tick(1_000);
    c.submitChange("n1", change(Change.Op.ADD, "n4", Role.LEARNER, 1));
    c.tick(1_000);
    c.join("n4", c.node("n1").membershipAt(2));
    c.tick(3_000);
    assertEquals(c.node("n1").head(), c.node("n4").head());
    for (ClientEvent.SystemApplied s : applied(c, "n4")) {
      assertTrue(s.ok(), "entries 1 and 2 are in n4's configuration already: " + s);
      assertTrue(s.index() > 2, s.toString());
    }
  }

  /** Seeds 2 and 8: a failed snapshot transfer kept the node from catching up for 120 s. */
  @Test
  void failedSnapshotTransfer_isAskedForAgainWithinTenHeadTimeouts() {
    TestCluster c = threeVoters(500);
    for (int i = 0; i < 5; i++) {
      c.submit("n1", "{\"i\":" + i + "}");
      c.deliverAll(touching("n3").negate());
      c.drop(touching("n3"));
    }
    c.takeSnapshot("n1", 0);
    c.takeSnapshot("n2", 0);
    c.tick(1_000);
    assertEquals(1, c.snapshotFetches.size());
    // The shell's transfer fails (a lost chunk): it never reports an install.
    c.tick(3_500);
    assertEquals(1, c.snapshotFetches.size(), "one transfer at a time while it may still run");
    c.tick(3_000);
    assertTrue(c.snapshotFetches.size() >= 2, "asked again within 10 head timeouts (5 s)");
    c.installSnapshot("n3", c.snapshots.get("n1"));
    c.tick(1_000);
    assertEquals(c.node("n1").head(), c.node("n3").head());
  }

  /** Seed 9: a voter that was demoted or removed kept its queued entries forever. */
  @Test
  void demotedVoter_dropsItsQueueAsUnknown() {
    TestCluster c = threeVoters(1_000);
    c.submit("n3", A);
    c.drop(from("n3")); // its proposal is lost: A waits in n3's queue
    c.submitChange("n1", change(Change.Op.DEMOTE, "n3", null, 0));
    c.deliver(from("n1").and(kind(Message.Propose.class)));
    c.deliver(to("n1").and(kind(Message.Vote.class))); // n1 and n2 decide the demotion
    c.deliver(kind(Message.Commit.class));
    assertEquals(1, c.node("n3").length());
    assertFalse(c.node("n3").membership().isVoter("n3"));
    assertEquals(0, c.node("n3").queued(), "a non-voter never proposes: its queue would stay");
    Hash a = ((ClientEvent.Assigned) c.events("n3").get(0)).txid();
    assertTrue(c.events("n3").stream().anyMatch(e -> e instanceof ClientEvent.QueueDropped d
        && d.txids().contains(a)), c.events("n3").toString());
    assertTrue(c.node("n3").marks().count("H7.queue-dropped-not-voter") >= 1);
  }

  /**
   * Seed 196: a joiner's configuration was made by an entry it does not hold yet, and its
   * snapshots there recorded it; a node then counted votes for earlier instances with that later
   * voter set. Here a read-only member was promoted before it started (it asked again and got
   * the current configuration, where it is a voter), with an empty log.
   */
  @Test
  void configurationAheadOfLog_countsNoVotesUntilReached() {
    TestCluster c = threeVoters(1_000);
    c.submitChange("n1", change(Change.Op.ADD, "n4", Role.READ_ONLY, 0));
    c.tick(1_000);
    c.submitChange("n1", change(Change.Op.PROMOTE, "n4", null, 1));
    c.tick(1_000);
    List<Message> fromN4 = new ArrayList<>();
    c.listener = (id, stepAndEffects) -> {
      if (id.equals("n4")) {
        fromN4.addAll(((Effects) stepAndEffects[1]).allSends());
      }
    };
    c.join("n4", c.node("n2").membership()); // version 2, n4 a voter, log empty
    assertFalse(c.node("n4").isVoter());
    c.submit("n4", A);
    assertTrue(c.events("n4").get(0) instanceof ClientEvent.Refused r && r.code().equals("READ_ONLY"));
    c.tick(3_000);
    assertTrue(c.node("n4").isVoter(), "caught up to its configuration");
    for (Message m : fromN4) {
      boolean counts = m instanceof Message.Propose || m instanceof Message.Prepare
          || m instanceof Message.Accept || m instanceof Message.Commit;
      assertFalse(counts && m.length() < 2, "counted votes before its configuration: " + m);
    }
    c.submit("n4", "{\"b\":2}");
    c.tick(1_000);
    assertEquals(3, c.node("n1").length());
  }

  /**
   * Seed 460: a reader behind membership changes counted the answers of its old voters, two of them
   * demoted (or removed) and lagging as far, and read before an acknowledged entry.
   */
  @Test
  void readerBehindAMembershipChange_readsUnderTheNewVoters() {
    TestCluster c = new TestCluster(TestCluster.members(List.of("n1", "n2", "n3"),
        Map.of("n4", Role.READ_ONLY)), 1_000);
    c.submit("n1", A);
    c.tick(500);
    Predicate<Message> n4Cut = touching("n4").negate();
    c.submitChange("n1", change(Change.Op.DEMOTE, "n2", null, 0));
    c.tick(500, n4Cut);
    Predicate<Message> n2Cut = n4Cut.and(touching("n2").negate());
    c.submitChange("n1", change(Change.Op.DEMOTE, "n3", null, 2));
    c.tick(500, n2Cut);
    Predicate<Message> n3Cut = n2Cut.and(touching("n3").negate());
    c.submit("n1", "{\"e\":1}"); // decided by n1 alone, acknowledged at index 4
    c.tick(500, n3Cut);
    assertEquals(4, c.node("n1").length());
    assertEquals(1, c.node("n4").length());
    // n4, still under {n1, n2, n3}, reads: n1 does not answer, n2 (at 2) and n3 (at 3) do.
    c.step("n4", new Input.ReadBarrier(99));
    c.drop(to("n1"));
    c.deliver(kind(Message.ReadQuery.class));
    c.deliver(kind(Message.ReadReply.class));
    // n4 catches up to their target (3) from n3 alone.
    c.tick(1_000, between("n3", "n4").or(m -> m.from().equals("n4") && m.to().equals("n3")));
    assertEquals(3, c.node("n4").length());
    assertTrue(c.node("n4").marks().count("H7.read-config-changed") >= 1);
    c.tick(2_000); // healed: the new round asks the voter of the configuration at 3, n1
    List<Long> readAt = new ArrayList<>();
    for (ClientEvent e : c.events("n4")) {
      if (e instanceof ClientEvent.ReadReady r) {
        readAt.add(r.length());
      }
    }
    assertEquals(List.of(4L), readAt, "never below index 4, acknowledged before the read began");
  }

  private static Predicate<Message> between(String a, String b) {
    return TestCluster.between(a, b);
  }

  /** Seeds 512 and 945: fetch retries went to the furthest peer ever heard, stopped for good. */
  @Test
  void fetchRetry_prefersAPeerHeardRecently() {
    TestCluster c = threeVoters(1_000);
    for (int i = 0; i < 5; i++) {
      c.submit("n1", "{\"i\":" + i + "}");
      c.deliverAll(touching("n3").negate());
      c.drop(touching("n3"));
    }
    c.submit("n1", "{\"i\":5}"); // decided by n1 with n2's vote; n2 never hears the commit
    c.deliver(from("n1").and(to("n2")).and(kind(Message.Propose.class)));
    c.deliver(from("n2").and(to("n1")).and(kind(Message.Vote.class)));
    c.drop(m -> true);
    c.tickOnly("n1", 300); // a heartbeat: n3 learns n1 is at 6
    c.deliver(from("n1").and(to("n3")).and(kind(Message.Status.class)));
    c.drop(m -> true);
    c.crash("n1"); // for good
    c.tick(5_000);
    assertEquals(6, c.node("n3").length(), c.node("n3").marks().snapshot().toString());
    assertEquals(c.node("n2").head(), c.node("n3").head());
  }

  /**
   * Seed 3593: a demoted node waited for its new voters' reports to confirm its demotion, but one
   * of them was removed next, stopped reporting, and was ignored once removed.
   */
  @Test
  void confirmation_witnessedByTheNextDecidedBatch() {
    TestCluster c = threeVoters(1_000);
    Predicate<Message> noReportsN2ToN3 = from("n2").and(to("n3")).negate();
    c.submitChange("n3", change(Change.Op.DEMOTE, "n3", null, 0));
    c.tick(1_000, noReportsN2ToN3);
    assertTrue(applied(c, "n3").isEmpty(), "n2 has not been heard to hold it");
    c.submitChange("n1", change(Change.Op.REMOVE, "n2", null, 1));
    c.tick(1_000, noReportsN2ToN3);
    c.tick(2_000);
    assertEquals(2, c.node("n3").length());
    assertTrue(applied(c, "n3").stream().anyMatch(s -> s.index() == 1 && s.ok()),
        "the next batch was decided by a majority of the new voters: " + applied(c, "n3"));
  }

  /** Seed 4290: installing a snapshot replaced a joiner's configuration by an older one. */
  @Test
  void snapshotInstall_keepsAJoinersNewerConfiguration() {
    TestCluster c = threeVoters(1_000);
    for (int i = 0; i < 4; i++) {
      c.submit("n1", "{\"i\":" + i + "}");
      c.tick(200);
    }
    for (String id : List.of("n1", "n2", "n3")) {
      c.takeSnapshot(id, 0); // at 4, under the founding configuration
    }
    c.submitChange("n1", change(Change.Op.ADD, "n4", Role.LEARNER, 0));
    c.tick(1_000);
    c.join("n4", c.node("n1").membershipAt(5));
    c.tick(500);
    Map.Entry<String, Effects.SnapshotFetch> f = c.snapshotFetches.get(0);
    assertEquals("n4", f.getKey());
    c.installSnapshot("n4", c.snapshots.get(f.getValue().peer()));
    assertEquals(5, c.node("n4").membership().version(), "the snapshot's configuration is older");
    assertTrue(c.node("n4").membership().get("n4") != null, "n4 is still a member");
    assertTrue(c.node("n4").marks().count("H7.kept-newer-configuration") >= 1);
    c.tick(3_000);
    assertEquals(c.node("n1").head(), c.node("n4").head());
    assertTrue(c.node("n1").membership().isVoter("n4"));
  }

  /**
   * Seeds 4164 and 5967: a joiner given a configuration whose only voter then left ignored the
   * heartbeats of the voter added since, as from an unknown node.
   */
  @Test
  void statusFromAMemberAddedLater_startsCatchUp() {
    TestCluster c = new TestCluster(1, 1_000);
    c.submitChange("n1", change(Change.Op.ADD, "n4", Role.LEARNER, 0));
    c.tick(500);
    Membership forN4 = c.node("n1").membershipAt(1); // n4's answer, it starts later
    c.submitChange("n1", change(Change.Op.ADD, "n5", Role.LEARNER, 1));
    c.tick(500);
    c.join("n5", c.node("n1").membershipAt(2));
    c.tick(2_000); // n5 caught up and is promoted
    assertTrue(c.node("n1").membership().isVoter("n5"));
    c.submitChange("n1", change(Change.Op.REMOVE, "n1", null, c.node("n1").membership().version()));
    c.tick(2_000);
    assertEquals(List.of("n5"), c.node("n5").membership().voters());
    c.crash("n1"); // gone for good
    c.join("n4", forN4); // knows only n1, which has left
    c.tick(3_000);
    assertEquals(c.node("n5").head(), c.node("n4").head());
    assertTrue(c.node("n4").marks().count("H7.status-from-newer-member") >= 1);
    assertTrue(c.node("n5").membership().isVoter("n4"), "caught up, then promoted by n5");
  }
}
