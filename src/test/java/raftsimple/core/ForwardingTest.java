package raftsimple.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import raftsimple.chain.Entry;
import raftsimple.chain.Hash;
import raftsimple.core.msg.Effects;
import raftsimple.core.msg.Input;
import raftsimple.core.msg.Message;
import raftsimple.core.msg.Proposal;

/** H5 forwarding, and the flaw it exposed in content-addressed proposal ids (sim seed 308). */
class ForwardingTest {
  private static final List<String> VOTERS = List.of("n1", "n2", "n3");

  private static Node node(String id) {
    Node n = new Node(NodeSettings.of(id, VOTERS, 500), new DurableState(), 1);
    n.step(new Input.Tick(1));
    return n;
  }

  private static Entry entryOf(String origin) {
    return Entry.create(7, origin, "{\"a\":1}".getBytes(StandardCharsets.UTF_8), null);
  }

  @Test
  void carrierProposesForwardedEntriesInItsNextProposal() {
    Node n3 = node("n3");
    Entry e = entryOf("n2");
    // Being forwarded to is the origin's view that n3 proposes here: it does, at once.
    Effects fx = n3.step(new Input.Receive(new Message.Forward("n2", "n3", 0, Hash.ZERO, List.of(e))));
    Message.Propose p = (Message.Propose) fx.allSends().stream().filter(m -> m instanceof Message.Propose)
        .findFirst().orElseThrow();
    assertEquals(List.of(e), p.proposal().entries());
    assertEquals("n3", p.proposal().proposer());
  }

  @Test
  void twoProposersOfTheSameEntriesAreTwoProposals_aVoteForOneIsNoVoteForTheOther() {
    Entry e = entryOf("n2");
    Proposal byOrigin = Proposal.of("n2", List.of(e));
    Proposal byCarrier = Proposal.of("n3", List.of(e));
    // With ids over the txids alone these were equal, so n3, having voted for its own proposal,
    // granted n2's; n2 decided it while n3's promise later reported a vote for "its own" proposal,
    // and recovery chose another value on the same head (simulator seed 308).
    assertNotEquals(byOrigin.id(), byCarrier.id());

    Node n3 = node("n3");
    n3.step(new Input.Receive(new Message.Forward("n2", "n3", 0, Hash.ZERO, List.of(e))));
    n3.step(new Input.Tick(20)); // n3 proposes byCarrier, voting for it
    Effects fx = n3.step(new Input.Receive(new Message.Propose("n2", "n3", 0, Hash.ZERO, byOrigin)));
    Message.Vote v = (Message.Vote) fx.allSends().stream().filter(m -> m instanceof Message.Vote)
        .findFirst().orElseThrow();
    assertFalse(v.granted());
    assertEquals(byCarrier.id(), v.votedFor());
    assertTrue(n3.marks().count("H1.refuse-second-proposal") > 0);
  }

  @Test
  void aForwardNamingAHeadTheCarrierDoesNotHoldIsRefused() {
    Node n3 = node("n3");
    Entry e = entryOf("n2");
    Hash elsewhere = Hash.parse("11".repeat(32));
    Effects a = n3.step(new Input.Receive(new Message.Forward("n2", "n3", 0, elsewhere, List.of(e))));
    Effects b = n3.step(new Input.Receive(new Message.Forward("n2", "n3", 5, Hash.ZERO, List.of(e))));
    Effects fx = n3.step(new Input.Tick(20));
    for (Effects x : List.of(a, b, fx)) {
      assertTrue(x.allSends().stream().noneMatch(m -> m instanceof Message.Propose));
    }
    assertEquals(2, n3.marks().count("H5.forward-refused"));
  }
}
