package raftsimple.core;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import raftsimple.chain.Entry;
import raftsimple.chain.Hash;
import raftsimple.core.msg.Ballot;
import raftsimple.core.msg.DurableRecord;
import raftsimple.core.msg.Message;
import raftsimple.core.msg.Proposal;
import raftsimple.core.quorum.Majority;
import raftsimple.core.quorum.RecoveryChoice;

/**
 * Recovery of a stalled or split instance (docs/PROTOCOL.md §5.3, the brief's "restart" of step
 * 16a): a Paxos round at a ballot ≥ 1. The coordinator promises its ballot to itself, collects
 * promises from a majority, picks the value with {@link RecoveryChoice} (rules R6 for promisers
 * that restarted), has a majority accept it and decides. Every promise and accept is durable
 * before the message that reports it leaves (R7).
 *
 * <p>Mutates only the instance's recovery state ({@link Instance}); a decision is returned for the
 * node to apply, and messages go out through the node's {@link Publication}.
 */
final class Recovery {
  private final Node node;

  Recovery(Node node) {
    this.node = node;
  }

  /**
   * Starts a round at a ballot above every one seen here. {@code early}: on a failure report,
   * before any timeout (safe: a ballot round is safe whenever it runs).
   */
  Proposal start(boolean early) {
    Instance inst = node.inst;
    Ballot b = new Ballot(inst.maxRoundSeen + 1, node.self);
    inst.seeBallot(b);
    inst.promised = b;
    inst.takePart(node.now);
    node.pub.persist(new DurableRecord.PromiseRecord(inst.length, inst.head, b));
    inst.myBallot = b;
    inst.earlyRecovery = early;
    inst.promises.clear();
    inst.chosen = null;
    inst.acceptedBy.clear();
    inst.promises.put(node.self, promise(node.self, b));
    for (String v : node.otherVoters()) {
      node.pub.sendAfterPersist(new Message.Prepare(node.self, v, inst.length, inst.head, b));
    }
    node.marks.hit(early ? "recovery.start-early" : "recovery.start");
    inst.recoveries++;
    inst.retransmitAtMs = node.now + node.settings.retransmitMs();
    inst.recoveryAtMs = node.now + node.recoveryDelayMs(null);
    return tryChoose();
  }

  /** Our promise of {@code b}: what we voted for and accepted here, and whether we restarted (R5). */
  private Message.Promise promise(String to, Ballot b) {
    Instance inst = node.inst;
    boolean restarted = node.inRestartWindow() && !node.settings.has(Planted.NO_RESTARTED_FLAG);
    return new Message.Promise(node.self, to, inst.length, inst.head, b, true, null, inst.vote,
        inst.acceptedBallot, inst.acceptedValue, restarted);
  }

  void onPrepare(Message.Prepare m) {
    Instance inst = node.inst;
    Ballot b = m.ballot();
    inst.seeBallot(b);
    if (!b.atLeast(inst.promised)) {
      node.pub.sendAfterPersist(new Message.Promise(node.self, m.from(), inst.length, inst.head, b,
          false, inst.promised, null, null, null, false));
      return;
    }
    if (b.greaterThan(inst.promised)) {
      inst.promised = b;
      inst.takePart(node.now);
      node.pub.persist(new DurableRecord.PromiseRecord(inst.length, inst.head, b));
      node.marks.hit("recovery.promise");
    }
    if (inst.myBallot != null && b.greaterThan(inst.myBallot)) {
      abandon("recovery.yield-to-higher-ballot");
    }
    node.pub.sendAfterPersist(promise(m.from(), b));
  }

  /** A promise for our ballot; returns a value decided alone, or null. */
  Proposal onPromise(Message.Promise m) {
    Instance inst = node.inst;
    if (m.round0Vote() != null && node.validValue(m.round0Vote())) {
      inst.learnRound0(m.round0Vote());
    }
    if (m.acceptedValue() != null && node.validValue(m.acceptedValue())) {
      inst.learn(m.acceptedValue());
    }
    inst.seeBallot(m.promised());
    if (inst.myBallot == null || !m.ballot().equals(inst.myBallot) || inst.chosen != null
        || !node.isVoter(m.from())) {
      return null;
    }
    if (!m.ok()) {
      abandon("recovery.nack");
      return null;
    }
    inst.promises.put(m.from(), m);
    return tryChoose();
  }

  /** With promises from a majority, picks the value (docs §5.3) and starts phase 2. */
  private Proposal tryChoose() {
    Instance inst = node.inst;
    if (!Majority.reached(inst.promises.size(), node.voterCount())) {
      return null;
    }
    RecoveryChoice.Result r = RecoveryChoice.choose(node.voterIds(), inst.promises.keySet(),
        round0Votes(), acceptedValues(), round0Proposers(), restartedPromisers());
    Proposal value;
    if (r.kind() == RecoveryChoice.Kind.WAIT) {
      node.marks.hit("recovery.ambiguous-wait");
      return null;
    } else if (r.kind() == RecoveryChoice.Kind.FREE || (inst.earlyRecovery
        && r.kind() == RecoveryChoice.Kind.MIGHT_BE_COMMITTED
        && node.settings.has(Planted.EARLY_RECOVERY_IGNORES_POSSIBLE_COMMIT))) {
      value = union();
      node.marks.hit(value == null ? "recovery.free-nothing" : "recovery.free-union");
    } else {
      value = inst.known.get(Hash.parse(r.value()));
      node.marks.hit(r.kind() == RecoveryChoice.Kind.ACCEPTED ? "recovery.highest-accepted"
          : "H3.finish-might-be-committed");
    }
    if (value == null) {
      abandon("recovery.nothing-to-decide");
      return null;
    }
    Ballot b = inst.myBallot;
    inst.chosen = value;
    inst.acceptedBy.clear();
    acceptLocally(b, value);
    inst.acceptedBy.add(node.self);
    for (String v : node.otherVoters()) {
      node.pub.sendAfterPersist(new Message.Accept(node.self, v, inst.length, inst.head, b, value));
    }
    inst.retransmitAtMs = node.now + node.settings.retransmitMs();
    if (Majority.reached(inst.acceptedBy.size(), node.voterCount())) {
      node.marks.hit("recovery.decided-alone");
      return value;
    }
    return null;
  }

  void onAccept(Message.Accept m) {
    Instance inst = node.inst;
    Ballot b = m.ballot();
    inst.seeBallot(b);
    if (!node.validValue(m.value())) {
      node.marks.hit("input.bad-accept");
      return;
    }
    inst.learn(m.value());
    if (!b.atLeast(inst.promised)) {
      node.pub.sendAfterPersist(new Message.Accepted(node.self, m.from(), inst.length, inst.head, b,
          false, inst.promised));
      return;
    }
    if (inst.myBallot != null && b.greaterThan(inst.myBallot)) {
      abandon("recovery.yield-to-higher-ballot");
    }
    inst.takePart(node.now);
    acceptLocally(b, m.value());
    node.pub.sendAfterPersist(new Message.Accepted(node.self, m.from(), inst.length, inst.head, b,
        true, null));
  }

  private void acceptLocally(Ballot b, Proposal value) {
    Instance inst = node.inst;
    boolean same = b.equals(inst.acceptedBallot) && inst.acceptedValue != null
        && inst.acceptedValue.id().equals(value.id());
    // A coordinator's free choice is a new union value that nobody sent us: remember it, or a later
    // ballot of ours finds it as the highest accepted value, cannot look it up, and abandons every
    // round while no other node has a reason to recover (simulator seed 419: queued entries never
    // committed).
    inst.learn(value);
    if (b.greaterThan(inst.promised)) {
      inst.promised = b;
    }
    inst.acceptedBallot = b;
    inst.acceptedValue = value;
    if (!same) {
      node.pub.persist(new DurableRecord.AcceptRecord(inst.length, inst.head, b, value));
    }
  }

  /** An accept of our ballot; returns the value once a majority accepted it, else null. */
  Proposal onAccepted(Message.Accepted m) {
    Instance inst = node.inst;
    inst.seeBallot(m.promised());
    if (inst.myBallot == null || !m.ballot().equals(inst.myBallot) || inst.chosen == null
        || !node.isVoter(m.from())) {
      return null;
    }
    if (!m.ok()) {
      abandon("recovery.nack");
      return null;
    }
    inst.acceptedBy.add(m.from());
    return Majority.reached(inst.acceptedBy.size(), node.voterCount()) ? inst.chosen : null;
  }

  private void abandon(String why) {
    Instance inst = node.inst;
    node.marks.hit(why);
    inst.myBallot = null;
    inst.chosen = null;
    inst.promises.clear();
    inst.acceptedBy.clear();
    inst.recoveryAtMs = Math.min(inst.recoveryAtMs, node.now + node.backoffMs());
  }

  /** Sends our prepare or accept again to voters that have not answered it. */
  void retransmit() {
    Instance inst = node.inst;
    Ballot b = inst.myBallot;
    for (String v : node.otherVoters()) {
      if (inst.chosen == null && !inst.promises.containsKey(v)) {
        node.pub.sendAfterPersist(new Message.Prepare(node.self, v, inst.length, inst.head, b));
      } else if (inst.chosen != null && !inst.acceptedBy.contains(v)) {
        node.pub.sendAfterPersist(new Message.Accept(node.self, v, inst.length, inst.head, b, inst.chosen));
      } else {
        continue;
      }
      inst.retransmitAtMs = node.now + node.settings.retransmitMs();
    }
  }

  /**
   * The free choice (docs §5.3): every round-0 proposal known here, by proposer id, plus the
   * entries this node would propose itself (its own queue and those it carries for others), so
   * that a collision still commits everyone's entries in one instance.
   */
  private Proposal union() {
    Instance inst = node.inst;
    LinkedHashMap<Hash, Entry> entries = new LinkedHashMap<>();
    TreeMap<String, List<Proposal>> byProposer = new TreeMap<>();
    for (Map.Entry<Hash, String> e : inst.round0Proposer.entrySet()) {
      Proposal p = inst.known.get(e.getKey());
      if (p != null) {
        byProposer.computeIfAbsent(e.getValue(), k -> new ArrayList<>()).add(p);
      }
    }
    for (List<Proposal> ps : byProposer.values()) {
      ps.sort((a, b) -> a.id().compareTo(b.id()));
      for (Proposal p : ps) {
        for (Entry e : p.entries()) {
          entries.putIfAbsent(e.txid(), e);
        }
      }
    }
    int max = 2 * node.settings.batchEntriesMax();
    for (Entry e : node.forwarding.carried()) {
      if (entries.size() >= max) {
        break;
      }
      entries.putIfAbsent(e.txid(), e);
    }
    for (Entry e : node.queue.entries()) {
      if (entries.size() >= max) {
        break;
      }
      entries.putIfAbsent(e.txid(), e);
    }
    entries.keySet().removeIf(node.log::contains);
    return entries.isEmpty() ? null : Proposal.of(node.self, new ArrayList<>(entries.values()));
  }

  private Map<String, String> round0Votes() {
    Map<String, String> out = new TreeMap<>();
    for (Message.Promise p : node.inst.promises.values()) {
      if (p.round0Vote() != null) {
        out.put(p.from(), p.round0Vote().id().hex());
      }
    }
    return out;
  }

  private TreeSet<String> restartedPromisers() {
    TreeSet<String> out = new TreeSet<>();
    for (Message.Promise p : node.inst.promises.values()) {
      if (p.restarted()) {
        out.add(p.from());
      }
    }
    return out;
  }

  private Map<String, RecoveryChoice.AcceptedAt> acceptedValues() {
    Map<String, RecoveryChoice.AcceptedAt> out = new TreeMap<>();
    for (Message.Promise p : node.inst.promises.values()) {
      if (p.acceptedBallot() != null && p.acceptedValue() != null) {
        out.put(p.from(), new RecoveryChoice.AcceptedAt(p.acceptedBallot().round(),
            p.acceptedBallot().node(), p.acceptedValue().id().hex()));
      }
    }
    return out;
  }

  private Map<String, String> round0Proposers() {
    Map<String, String> out = new TreeMap<>();
    for (Map.Entry<Hash, String> e : node.inst.round0Proposer.entrySet()) {
      out.put(e.getKey().hex(), e.getValue());
    }
    return out;
  }
}
