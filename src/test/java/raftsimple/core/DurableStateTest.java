package raftsimple.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import raftsimple.chain.Entry;
import raftsimple.chain.Hash;
import raftsimple.chain.LogEntry;
import raftsimple.core.msg.Ballot;
import raftsimple.core.msg.DurableRecord.AcceptRecord;
import raftsimple.core.msg.DurableRecord.CommitRecord;
import raftsimple.core.msg.DurableRecord.PromiseRecord;
import raftsimple.core.msg.DurableRecord.VoteRecord;
import raftsimple.core.msg.Proposal;

/** Rebuilding a node from its write-ahead log: records fold in order; old instances are ignored. */
class DurableStateTest {
  private long ts = 1;

  private Proposal proposal(String proposer) {
    Entry e = Entry.create(++ts, proposer, ("{\"t\":" + ts + "}").getBytes(StandardCharsets.UTF_8), null);
    return Proposal.of(proposer, List.of(e));
  }

  private static CommitRecord commit(DurableState d, Proposal p) {
    return new CommitRecord(List.of(LogEntry.chain(d.length() + 1, d.head(), p.entries().get(0))));
  }

  @Test
  void voteAtTheHeadIsRecovered() {
    DurableState d = new DurableState();
    Proposal p = proposal("n1");
    d.apply(new VoteRecord(0, Hash.ZERO, p));
    assertEquals(p, d.vote);
  }

  @Test
  void aCommitEndsTheInstanceAndClearsItsVotes() {
    DurableState d = new DurableState();
    Proposal p = proposal("n1");
    d.apply(new VoteRecord(0, Hash.ZERO, p));
    d.apply(new PromiseRecord(0, Hash.ZERO, new Ballot(1, "n2")));
    d.apply(new AcceptRecord(0, Hash.ZERO, new Ballot(1, "n2"), p));
    d.apply(commit(d, p));
    assertEquals(1, d.length());
    assertNull(d.vote);
    assertNull(d.promised);
    assertNull(d.acceptedBallot);
    assertNull(d.acceptedValue);
  }

  @Test
  void recordsForAnOlderInstanceAreIgnored() {
    DurableState d = new DurableState();
    d.apply(commit(d, proposal("n1")));
    // Written for instance 0 after the commit reached the WAL (e.g. a late vote): stale.
    d.apply(new VoteRecord(0, Hash.ZERO, proposal("n2")));
    d.apply(new PromiseRecord(0, Hash.ZERO, new Ballot(3, "n2")));
    d.apply(new AcceptRecord(0, Hash.ZERO, new Ballot(3, "n2"), proposal("n2")));
    assertNull(d.vote);
    assertNull(d.promised);
    assertNull(d.acceptedValue);
    // A record naming the right length but another head is not about this instance either.
    d.apply(new VoteRecord(1, Hash.ZERO, proposal("n3")));
    assertNull(d.vote);
    Proposal here = proposal("n3");
    d.apply(new VoteRecord(1, d.head(), here));
    assertEquals(here, d.vote);
  }

  @Test
  void promisesOnlyGrowAndAnAcceptIsAlsoAPromise() {
    DurableState d = new DurableState();
    d.apply(new PromiseRecord(0, Hash.ZERO, new Ballot(2, "n1")));
    d.apply(new PromiseRecord(0, Hash.ZERO, new Ballot(1, "n3")));
    assertEquals(new Ballot(2, "n1"), d.promised);
    Proposal v = proposal("n2");
    d.apply(new AcceptRecord(0, Hash.ZERO, new Ballot(2, "n2"), v));
    assertEquals(new Ballot(2, "n2"), d.promised);
    assertEquals(new Ballot(2, "n2"), d.acceptedBallot);
    assertEquals(v, d.acceptedValue);
    d.apply(new PromiseRecord(0, Hash.ZERO, new Ballot(5, "n1")));
    assertEquals(new Ballot(5, "n1"), d.promised);
    assertEquals(new Ballot(2, "n2"), d.acceptedBallot, "a promise does not touch the accepted value");
  }

  @Test
  void aCommitThatDoesNotExtendTheChainIsRefused() {
    DurableState d = new DurableState();
    d.apply(commit(d, proposal("n1")));
    Entry e = proposal("n2").entries().get(0);
    CommitRecord gap = new CommitRecord(List.of(LogEntry.chain(3, d.head(), e)));
    assertThrows(IllegalStateException.class, () -> d.apply(gap));
    CommitRecord fork = new CommitRecord(List.of(LogEntry.chain(2, Hash.ZERO, e)));
    assertThrows(IllegalStateException.class, () -> d.apply(fork));
  }
}
