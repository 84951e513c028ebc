package raftsimple.sim;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import raftsimple.chain.ChainVerifier;
import raftsimple.chain.Hash;
import raftsimple.chain.LogEntry;
import raftsimple.core.CommittedLog;

/**
 * The safety invariants, checked after every step, fsync and restart (docs/SIMULATION.md):
 *
 * <ul>
 *   <li><b>agreement</b>: one global chain, index → hash and batch boundaries; every entry any
 *       node holds durably must match it, and so must where its batches end (one value per
 *       instance: two values where one extends the other agree on every index they share but not
 *       on the instance, so hashes alone miss it). Only durable entries count: a node may append a
 *       decision in memory and lose it in a crash before anything that depends on it left the node,
 *       which is harmless;
 *   <li><b>chain</b>: every new durable entry is re-verified ({@link ChainVerifier}: index, prev,
 *       txid and hash recomputed) against the global chain;
 *   <li><b>no duplicates</b>: a txid appears at one index of the global chain only;
 *   <li><b>validity</b>: every committed entry was submitted by a client to its origin node, with
 *       that payload;
 *   <li><b>durability</b>: an acknowledged entry is in the global chain at its index (so in every
 *       log that reaches the index), is never contradicted by what its acknowledging node holds
 *       after a crash, and is in every log at the end. A node may acknowledge an entry its own disk
 *       does not hold yet (docs/PROTOCOL.md §6, R4: durable grants of a majority of the others
 *       cover it), so after a crash it may come back shorter and catch up;
 *   <li><b>linearizable reads</b>: a read barrier never returns a length below the index of an
 *       entry acknowledged before the read began;
 *   <li><b>state</b>: a node's state machine (restored from snapshots, re-applied after restarts)
 *       always equals the state the global chain produces at the same length;
 *   <li><b>snapshots</b>: a node whose log starts after a snapshot ({@code baseLength > 0}) has the
 *       global chain's hash at its base, on a batch boundary; entries below it are checked through
 *       that hash;
 *   <li>the membership invariants of {@link MembershipChecks}.
 * </ul>
 * Violations throw {@link SimFailure}.
 */
final class Checkers {
  record Ack(Hash txid, long index, String node) {}

  /** {@code chain.get(i - 1)}: the hash at index {@code i} of the one chain every node must hold. */
  private final List<Hash> chain = new ArrayList<>();
  /** {@code digests.get(i)}: the state digest after the first {@code i} entries of the chain. */
  private final List<Long> digests = new ArrayList<>(List.of(0L));
  final MembershipChecks membership;
  /** Bit {@code i}: index {@code i} of the global chain ends a batch (an instance's value). */
  private final java.util.BitSet boundaries = new java.util.BitSet();
  /** Indexes 1..boundariesKnown have their bit in {@link #boundaries}. */
  private long boundariesKnown;
  private final Map<Hash, Long> txidIndex = new HashMap<>();
  /** Payload text → the nodes it was submitted to. */
  private final Map<String, TreeSet<String>> submitted = new HashMap<>();
  private final long[] checkedUpTo;
  private final List<Ack> acked = new ArrayList<>();
  private final List<List<Ack>> ackedBy = new ArrayList<>();
  private long maxAckedIndex;
  long reads;

  /** {@code ids}: how many node ids exist (indexes 0..ids-1). */
  Checkers(int ids, raftsimple.core.msg.Membership founding) {
    this.checkedUpTo = new long[ids];
    for (int i = 0; i < ids; i++) {
      ackedBy.add(new ArrayList<>());
    }
    this.membership = new MembershipChecks(founding);
  }

  void submitted(String nodeId, String payload) {
    submitted.computeIfAbsent(payload, k -> new TreeSet<>()).add(nodeId);
  }

  long maxAckedIndex() {
    return maxAckedIndex;
  }

  long chainLength() {
    return chain.size();
  }

  int ackCount() {
    return acked.size();
  }

  /** After anything happened at {@code n}: check the entries that became durable there. */
  void check(SimNode n) {
    if (!n.up()) {
      return;
    }
    CommittedLog log = n.node().log();
    long durable = n.disk.durableLength();
    if (log.length() < durable) {
      throw new SimFailure("durability", n.id + " holds " + log.length()
          + " entries in memory but " + durable + " are durable on its disk");
    }
    // The chain grows by what a node holds durably or has released (revealed to others or to its
    // clients: rule R4 lets that run ahead of its own disk); both must be the one chain.
    long upTo = Math.min(log.length(), Math.max(durable, n.node().releasedLength()));
    long from = checkedUpTo[n.index];
    if (upTo > from) {
      if (log.baseLength() > from) {
        checkBase(n, log);
        from = log.baseLength();
      }
      List<LogEntry> fresh = log.range(from + 1, (int) (upTo - from));
      String problem = ChainVerifier.firstProblem(from, hashAt(from), fresh);
      if (problem != null) {
        throw new SimFailure(problem.contains("prev") ? "agreement" : "chain",
            n.id + " durable entries after " + from + ": " + problem);
      }
      for (LogEntry e : fresh) {
        checkEntry(n, e);
        checkBoundary(n, log, e.index());
        if (log.isBoundary(e.index())) {
          membership.checkAt(n.id, n.node(), e.index());
        }
      }
      checkedUpTo[n.index] = upTo;
    }
    checkState(n);
    membership.checkNode(n.id, n.node(), chain.size());
  }

  /** A log that starts after a snapshot: its base is a boundary of the global chain, same hash. */
  private void checkBase(SimNode n, CommittedLog log) {
    long base = log.baseLength();
    if (base > chain.size() || !hashAt(base).equals(log.baseHash())) {
      throw new SimFailure("agreement", n.id + " starts after a snapshot at " + base + " ending in "
          + log.baseHash().shortHex() + (base > chain.size() ? ", beyond the committed chain ("
          + chain.size() + ")" : " where the cluster committed " + hashAt(base).shortHex()));
    }
    if (base > 0 && !boundaries.get((int) base)) {
      throw new SimFailure("agreement", n.id + " starts after a snapshot at " + base
          + ", which is not a batch boundary of the cluster's chain");
    }
  }

  private void checkState(SimNode n) {
    long applied = n.state.applied();
    if (applied <= chain.size() && n.state.digest() != digests.get((int) applied)) {
      throw new SimFailure("state", n.id + "'s state machine at length " + applied
          + " differs from the state the committed chain produces there");
    }
  }

  /** The shell is writing snapshot {@code s} of {@code n}: it must describe the global chain. */
  void snapshotTaking(SimNode n, SimSnapshot s) {
    check(n);
    if (s.length() > chain.size() || !hashAt(s.length()).equals(s.head())
        || s.stateDigest() != digests.get((int) s.length())) {
      throw new SimFailure("state", n.id + " took a " + s + " that does not match the committed chain");
    }
    membership.snapshotTaken(n.id, s, chain.size());
  }

  /** {@code n} released message {@code m}. */
  void sent(SimNode n, raftsimple.core.msg.Message m) {
    check(n);
    long l = m.length();
    membership.sent(m, chain.size(), l <= chain.size() ? hashAt(l) : Hash.ZERO);
  }

  /** {@code n} released client event {@code e}. */
  void clientEvent(SimNode n, raftsimple.core.msg.ClientEvent e) {
    check(n);
    membership.clientEvent(n.id, e, chain.size());
  }

  private Hash hashAt(long index) {
    return index == 0 ? Hash.ZERO : chain.get((int) index - 1);
  }

  private void checkEntry(SimNode n, LogEntry e) {
    long i = e.index();
    if (i <= chain.size()) {
      if (!chain.get((int) i - 1).equals(e.hash())) {
        throw new SimFailure("agreement", n.id + " holds " + e.hash().shortHex() + " at index " + i
            + " where the cluster committed " + chain.get((int) i - 1).shortHex());
      }
      return;
    }
    // A new index of the global chain: validity and uniqueness are checked once, here.
    String payload = new String(e.entry().payload(), StandardCharsets.UTF_8);
    TreeSet<String> to = submitted.get(payload);
    boolean submittedThere = to != null && to.contains(e.entry().origin());
    if (!submittedThere && !membership.selfMade(e)) {
      throw new SimFailure("validity", "entry " + i + " (" + e.txid().shortHex() + " from "
          + e.entry().origin() + ", payload " + payload + ") was never submitted there");
    }
    Long dup = txidIndex.putIfAbsent(e.txid(), i);
    if (dup != null) {
      throw new SimFailure("no-duplicates", "txid " + e.txid().shortHex() + " committed at indexes "
          + dup + " and " + i);
    }
    chain.add(e.hash());
    digests.add(SimStateMachine.next(digests.get(digests.size() - 1), e.txid()));
    membership.appended(e);
  }

  /**
   * Every durable index is definitively inside or at the end of its batch (commit records hold whole
   * batches), so all nodes must agree on it. Recorded when the index joins the global chain.
   */
  private void checkBoundary(SimNode n, CommittedLog log, long i) {
    boolean end = log.isBoundary(i);
    if (i > boundariesKnown) {
      boundaries.set((int) i, end);
      boundariesKnown = i;
    } else if (boundaries.get((int) i) != end) {
      throw new SimFailure("agreement", n.id + (end ? " ends" : " does not end") + " a batch at index "
          + i + " unlike the cluster: two different values were decided on one instance");
    }
  }

  /** {@code n} released a committed entry to the client waiting for it. */
  void acknowledged(SimNode n, LogEntry e) {
    check(n);
    if (e.index() > chain.size() || !chain.get((int) e.index() - 1).equals(e.hash())) {
      throw new SimFailure("durability", n.id + " acknowledged " + e.txid().shortHex() + " at index "
          + e.index() + " before it was durable there");
    }
    Ack a = new Ack(e.txid(), e.index(), n.id);
    acked.add(a);
    ackedBy.get(n.index).add(a);
    maxAckedIndex = Math.max(maxAckedIndex, e.index());
  }

  /**
   * {@code n} restarted from its disk: what it acknowledged and still holds came back unchanged;
   * what it acknowledged beyond its durable log it will fetch (the majority that released it
   * holds it).
   */
  void restarted(SimNode n) {
    checkedUpTo[n.index] = Math.min(checkedUpTo[n.index], n.node().log().length());
    check(n);
    CommittedLog log = n.node().log();
    for (Ack a : ackedBy.get(n.index)) {
      if (a.index() <= log.baseLength() || a.index() > log.length()) {
        continue; // inside its snapshot (whose base hash check() matched), or to be fetched
      }
      LogEntry e = log.get(a.index());
      if (e == null || !e.txid().equals(a.txid())) {
        throw new SimFailure("durability", n.id + " acknowledged " + a.txid().shortHex()
            + " at index " + a.index() + " but restarted without it (log length " + log.length() + ")");
      }
    }
  }

  void readReady(SimNode n, long length, long ackedBeforeRead) {
    reads++;
    if (length < ackedBeforeRead) {
      throw new SimFailure("linearizable-read", n.id + " released a read at length " + length
          + " although index " + ackedBeforeRead + " was acknowledged before the read began");
    }
    if (n.node().length() < length) {
      throw new SimFailure("linearizable-read", n.id + " released a read at length " + length
          + " while its log holds " + n.node().length());
    }
  }

  /**
   * End of the liveness phase: every member's log is the whole chain (from its snapshot on,
   * re-verified), with every acknowledged entry, and its state machine has applied all of it.
   */
  void atEnd(List<SimNode> members) {
    for (SimNode n : members) {
      check(n);
      CommittedLog log = n.node().log();
      checkBase(n, log);
      String problem = ChainVerifier.firstProblem(log.baseLength(), log.baseHash(),
          log.range(log.firstIndex(), (int) (log.length() - log.baseLength())));
      if (problem != null) {
        throw new SimFailure("chain", n.id + " full re-verification: " + problem);
      }
      if (log.length() != chain.size() || n.state.applied() != chain.size()) {
        throw new SimFailure("agreement", n.id + " ends at length " + log.length() + " (applied "
            + n.state.applied() + ") but the cluster committed " + chain.size());
      }
      for (Ack a : acked) {
        if (a.index() > log.baseLength() && log.indexOf(a.txid()) != a.index()) {
          throw new SimFailure("durability", n.id + " ends without acknowledged "
              + a.txid().shortHex() + " at index " + a.index());
        }
      }
    }
  }
}
