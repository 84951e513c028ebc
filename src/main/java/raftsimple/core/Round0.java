package raftsimple.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import raftsimple.chain.Entry;
import raftsimple.chain.Hash;
import raftsimple.core.msg.DurableRecord;
import raftsimple.core.msg.Message;
import raftsimple.core.msg.Proposal;
import raftsimple.core.quorum.Majority;

/**
 * Round 0 of an instance, the brief's path (docs/PROTOCOL.md §5.1): the designated proposer sends
 * its batch with its head to every voter at once (R1) while its own vote is being written; a voter
 * on the same head votes for the first proposal it sees, durably, before answering; the proposer
 * counts its own vote once durable (R2) and decides with a majority of durable grants while it has
 * promised nothing (R3). A split vote is detected from the refusals and handed to recovery (§5.2).
 *
 * <p>Mutates only the instance's round-0 state ({@link Instance}); a decision is returned for the
 * node to apply, and messages go out through the node's {@link Publication}.
 */
final class Round0 {
  private final Node node;

  Round0(Node node) {
    this.node = node;
  }

  /**
   * Proposes {@code batch} on the head (the caller checked that this node may). Returns the value
   * when a cluster of one decides it at once, else null.
   */
  Proposal propose(List<Entry> batch) {
    Instance inst = node.inst;
    Proposal p = Proposal.of(node.self, batch);
    inst.mine = p;
    inst.vote = p;
    inst.learnRound0(p);
    inst.takePart(node.now);
    if (node.voterCount() == 1) {
      // A cluster of one decides at once: the commit record is the only record needed (a vote
      // that is never sent protects nothing), and it is released once durable.
      return p;
    }
    inst.mineVoteSeq = node.pub.persist(new DurableRecord.VoteRecord(inst.length, inst.head, p));
    if (node.settings.has(Planted.OWN_VOTE_COUNTED_EARLY)) {
      inst.grants.add(node.self);
    }
    long clockSeq = node.queue.waitSeq(batch, node.self);
    for (String v : node.otherVoters()) {
      node.pub.send(inst.length, new Message.Propose(node.self, v, inst.length, inst.head, p), clockSeq);
    }
    inst.retransmitAtMs = node.now + node.settings.retransmitMs();
    return null;
  }

  /** Our vote for our own proposal became durable: it counts now (R2). Returns a decision or null. */
  Proposal ownVoteDurable() {
    Instance inst = node.inst;
    if (inst.mine == null || inst.grants.contains(node.self) || !node.pub.isDurable(inst.mineVoteSeq)) {
      return null;
    }
    inst.grants.add(node.self);
    return decidable();
  }

  void onPropose(Message.Propose m) {
    Instance inst = node.inst;
    Proposal p = m.proposal();
    if (!p.proposer().equals(m.from()) || !node.validValue(p)) {
      node.marks.hit("input.bad-proposal");
      return;
    }
    inst.learnRound0(p);
    boolean abstain = node.inRestartWindow() && inst.vote == null;
    if (inst.vote == null && inst.promised == null && !abstain) {
      inst.vote = p;
      inst.takePart(node.now);
      node.pub.persist(new DurableRecord.VoteRecord(inst.length, inst.head, p));
      node.marks.hit("15.vote");
    }
    boolean granted = inst.vote != null && inst.vote.id().equals(p.id()) && inst.promised == null;
    if (abstain) {
      node.marks.hit("R5.abstain-restart-window");
    } else if (!granted) {
      node.marks.hit("H1.refuse-second-proposal");
    }
    Hash votedFor = granted || inst.vote == null ? null : inst.vote.id();
    String votedForProposer = granted || inst.vote == null ? null : inst.vote.proposer();
    // R7: the vote leaves behind its record.
    node.pub.sendAfterPersist(new Message.Vote(node.self, m.from(), inst.length, inst.head, p.id(),
        granted, votedFor, votedForProposer, abstain));
  }

  /** A vote on our proposal; returns the value to decide, or null. */
  Proposal onVote(Message.Vote m) {
    Instance inst = node.inst;
    Proposal mine = inst.mine;
    if (mine == null || !m.proposalId().equals(mine.id()) || !node.isVoter(m.from())) {
      return null;
    }
    if (m.granted()) {
      inst.grants.add(m.from());
      inst.refusals.remove(m.from());
    } else if (!inst.grants.contains(m.from())) {
      inst.refusals.put(m.from(), m.votedFor());
      if (m.abstained()) {
        inst.abstained.add(m.from());
      }
      if (m.votedFor() != null && m.votedForProposer() != null) {
        inst.round0Proposer.putIfAbsent(m.votedFor(), m.votedForProposer());
      }
    }
    Proposal d = decidable();
    if (d != null) {
      return d;
    }
    if (!inst.splitHandled
        && Majority.impossible(inst.grants.size() + ownPending(), mayStillGrant(), node.voterCount())) {
      onSplit();
    }
    return null;
  }

  /** Our own vote, written but not yet durable, will still count. */
  private int ownPending() {
    Instance inst = node.inst;
    return inst.mine != null && !inst.grants.contains(node.self) ? 1 : 0;
  }

  /** Only the proposer decides round 0, and only while it has promised nothing (R3, docs §5.1). */
  private Proposal decidable() {
    Instance inst = node.inst;
    return inst.promised == null && Majority.reached(inst.grants.size(), node.voterCount())
        ? inst.mine : null;
  }

  /**
   * Voters that have not answered our proposal and could still grant it: those heard from within
   * three heartbeats and not reported down (a voter that is down cannot). Only a liveness
   * heuristic — it decides whether to start recovery now rather than after a timeout, and
   * recovery is always safe.
   */
  private int mayStillGrant() {
    Instance inst = node.inst;
    int n = 0;
    for (String v : node.otherVoters()) {
      if (!inst.grants.contains(v) && !inst.refusals.containsKey(v) && node.live(v)) {
        n++;
      }
    }
    return n;
  }

  /**
   * H4: our proposal cannot win. The lowest-ranked proposer involved coordinates recovery at once;
   * the others stand by and take over after a randomized backoff if it does not finish. A refusal
   * that names nothing because its voter promised a ballot means someone is coordinating already.
   */
  private void onSplit() {
    Instance inst = node.inst;
    inst.splitHandled = true;
    node.marks.hit("H4.split-detected");
    String coordinator = node.self;
    for (Map.Entry<String, Hash> r : inst.refusals.entrySet()) {
      if (r.getValue() == null && !inst.abstained.contains(r.getKey())) {
        return;
      }
      String proposer = r.getValue() == null ? null : inst.round0Proposer.get(r.getValue());
      if (proposer != null && proposer.compareTo(coordinator) < 0) {
        coordinator = proposer;
      }
    }
    if (coordinator.equals(node.self)) {
      node.marks.hit("H4.coordinate-split");
      node.recovery.start(false);
    } else {
      inst.recoveryAtMs = Math.min(inst.recoveryAtMs, node.now + node.backoffMs());
    }
  }

  /** Sends our proposal again to voters that have not answered it. */
  void retransmit() {
    Instance inst = node.inst;
    if (inst.mine == null || inst.promised != null) {
      return;
    }
    for (String v : node.otherVoters()) {
      if (!inst.grants.contains(v) && !inst.refusals.containsKey(v)) {
        node.pub.send(inst.length, new Message.Propose(node.self, v, inst.length, inst.head, inst.mine),
            node.queue.waitSeq(inst.mine.entries(), node.self));
        inst.retransmitAtMs = node.now + node.settings.retransmitMs();
      }
    }
  }

  /** The other voters whose durable grants a decision of ours had when it was taken (B2). */
  static TreeSet<String> othersGranted(Instance inst, String self) {
    TreeSet<String> out = new TreeSet<>(inst.grants);
    out.remove(self);
    return out;
  }

  /** Entries for a proposal: carried ones first (they waited an instance), then our own queue. */
  static List<Entry> batch(Node node) {
    int max = node.settings.batchEntriesMax();
    List<Entry> batch = new ArrayList<>(node.forwarding.takeForProposal(max));
    int bytes = 0;
    for (Entry e : batch) {
      bytes += e.sizeBytes();
    }
    java.util.Set<Hash> in = new java.util.HashSet<>();
    for (Entry e : batch) {
      in.add(e.txid());
    }
    for (Entry e : node.queue.entries()) {
      if (batch.size() >= max || (!batch.isEmpty() && bytes + e.sizeBytes() > node.settings.batchBytesMax())) {
        break;
      }
      if (in.add(e.txid())) {
        batch.add(e);
        bytes += e.sizeBytes();
      }
    }
    return batch;
  }
}
