package raftsimple.core;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import raftsimple.chain.Entry;
import raftsimple.chain.Hash;
import raftsimple.core.msg.Message;

/**
 * Forwarding queued entries to the proposer in flight (H5, docs/PROTOCOL.md §8). A node that voted
 * for another node's round-0 proposal may not propose on that head (seed 15), so instead of waiting
 * it hands its queued entries to that proposer, to ride in the proposer's next proposal. Under
 * load one node ends up proposing for everyone, and the others' entries are not starved behind it.
 *
 * <p>Why no entry is committed twice, wherever and however often it is proposed: a value proposed on
 * the instance after length {@code Y} never holds an entry committed before {@code Y} — its builder
 * has appended everything before {@code Y} and leaves committed txids out, and voters refuse values
 * that hold one — and each instance decides one value (a merge keeps one copy of each txid). The
 * carrier checks the one thing it could otherwise not: the forward names the head the origin stood
 * on, where the entry was not yet committed, and the carrier takes it only if its own log still
 * holds every txid from that head on (so a snapshot never hides a commit of it).
 *
 * <p>The rest is efficiency: the origin keeps forwarded entries out of its own proposals until the
 * instance that should carry them is decided (and on that instance proposes them itself only if the
 * carrier has not proposed within one retransmit interval, so a lost forward never strands them);
 * the carrier sends a forward before its vote, so the voter whose vote decides is never late.
 */
final class Forwarding {
  private static final int CARRY_INSTANCES_MAX = 4;

  private final Node node;

  // Origin side: our own queued entries that another node may carry.
  private final Set<Hash> blocked = new HashSet<>();
  /** Head length L → entries forwarded for the instance after the one at L. */
  private final TreeMap<Long, List<Hash>> waitingForDecisionOf = new TreeMap<>();
  /** Length of the carrying instance → entries it should carry. */
  private final TreeMap<Long, List<Hash>> carriedBy = new TreeMap<>();
  /** Our forwarded entry → the length of the instance that should carry it (once known). */
  private final Map<Hash, Long> carryingOf = new HashMap<>();
  /** When this node reached its current head (monotonic ms). */
  private long reachedMs;

  // Carrier side: entries others asked us to carry in our next proposal, with their age in instances.
  private final LinkedHashMap<Hash, Entry> toCarry = new LinkedHashMap<>();
  private final Map<Hash, Integer> carryAge = new HashMap<>();

  Forwarding(Node node) {
    this.node = node;
  }

  boolean blocked(Hash txid) {
    return blocked.contains(txid);
  }

  /**
   * True when our own queued entry may go into a value on the current instance: it is not
   * forwarded, or this is the instance that should carry it and (unless {@code now}) the carrier has
   * had one retransmit interval to propose there.
   */
  boolean proposable(Hash txid, boolean now) {
    if (!blocked.contains(txid)) {
      return true;
    }
    Long carrying = carryingOf.get(txid);
    return carrying != null && carrying == node.inst.length
        && (now || node.now >= reachedMs + node.settings.retransmitMs());
  }

  /**
   * True when some of {@code queued} own entries may be proposed now. Cheap: {@code blocked} only
   * holds queued entries (committed ones leave it in {@link #committed}).
   */
  boolean anyProposable(int queued) {
    if (queued > blocked.size()) {
      return true;
    }
    List<Hash> carried = carriedBy.get(node.inst.length);
    return carried != null && !carried.isEmpty()
        && node.now >= reachedMs + node.settings.retransmitMs();
  }

  /** One of our entries was committed: it is no longer ours to hold back. */
  void committed(Hash txid) {
    if (blocked.remove(txid)) {
      carryingOf.remove(txid);
    }
  }

  /** Having voted for another proposer's proposal on the head: hand it our unblocked entries. */
  void forward(Map<Hash, Entry> queue) {
    Instance inst = node.inst;
    if (inst.vote == null || inst.vote.proposer().equals(node.self) || !node.isVoter(inst.vote.proposer())
        || node.voterCount() == 1) {
      return;
    }
    List<Entry> entries = new ArrayList<>();
    int bytes = 0;
    for (Entry e : queue.values()) {
      if (blocked.contains(e.txid()) || SystemEntries.isSystem(e.payload())) {
        continue; // membership changes go through their own node's proposals
      }
      if (entries.size() >= node.settings.batchEntriesMax()
          || (!entries.isEmpty() && bytes + e.sizeBytes() > node.settings.batchBytesMax())) {
        break;
      }
      entries.add(e);
      bytes += e.sizeBytes();
    }
    if (entries.isEmpty()) {
      return;
    }
    List<Hash> ids = waitingForDecisionOf.computeIfAbsent(inst.length, k -> new ArrayList<>());
    for (Entry e : entries) {
      blocked.add(e.txid());
      ids.add(e.txid());
    }
    node.marks.hit("H5.forward");
    node.send(new Message.Forward(node.self, inst.vote.proposer(), inst.length, inst.head, entries));
  }

  /** A peer asks us to carry its entries in our next proposal. */
  void onForward(Message.Forward m) {
    CommittedLog log = node.log;
    boolean knownHead = m.length() >= log.baseLength() && m.length() <= log.length()
        && headAt(log, m.length()).equals(m.head());
    if (!node.isVoter() || !knownHead) {
      node.marks.hit("H5.forward-refused");
      return; // the origin proposes them itself once the instance it named is decided
    }
    for (Entry e : m.entries()) {
      boolean valid = e.origin().equals(m.from()) && e.verify() && !log.contains(e.txid())
          && !SystemEntries.isSystem(e.payload());
      if (valid && toCarry.size() < 4 * node.settings.batchEntriesMax() && !toCarry.containsKey(e.txid())) {
        toCarry.put(e.txid(), e);
        carryAge.put(e.txid(), 0);
      }
    }
  }

  private static Hash headAt(CommittedLog log, long length) {
    return length == log.baseLength() ? log.baseHash() : log.get(length).hash();
  }

  /** The instance at {@code oldLength} was decided; the head is now {@code newLength}. */
  void onAppended(long oldLength, long newLength) {
    reachedMs = node.now;
    List<Hash> forwarded = waitingForDecisionOf.remove(oldLength);
    if (forwarded != null) {
      carriedBy.computeIfAbsent(newLength, k -> new ArrayList<>()).addAll(forwarded);
      for (Hash h : forwarded) {
        carryingOf.put(h, newLength);
      }
    }
    List<Hash> settled = carriedBy.remove(oldLength);
    if (settled != null) {
      release(settled);
    }
    for (List<Hash> stale : waitingForDecisionOf.headMap(newLength).values()) {
      release(stale);
    }
    waitingForDecisionOf.headMap(newLength).clear();
    for (List<Hash> stale : carriedBy.headMap(newLength).values()) {
      release(stale);
    }
    carriedBy.headMap(newLength).clear();
    for (Iterator<Map.Entry<Hash, Entry>> it = toCarry.entrySet().iterator(); it.hasNext(); ) {
      Hash h = it.next().getKey();
      int age = carryAge.merge(h, 1, Integer::sum);
      if (node.log.contains(h) || age > CARRY_INSTANCES_MAX) {
        it.remove(); // committed, or we could not propose for a while: the origin takes over
        carryAge.remove(h);
      }
    }
  }

  private void release(List<Hash> txids) {
    for (Hash h : txids) {
      blocked.remove(h);
      carryingOf.remove(h);
    }
  }

  /** True when others' entries wait for our next proposal. */
  boolean carrying() {
    return !toCarry.isEmpty();
  }

  /** Others' entries for our proposal now (never a committed one); they are carried once only. */
  List<Entry> takeForProposal() {
    List<Entry> out = new ArrayList<>(toCarry.size());
    for (Entry e : toCarry.values()) {
      if (!node.log.contains(e.txid())) {
        out.add(e);
      }
    }
    toCarry.clear();
    carryAge.clear();
    return out;
  }

  /** After a snapshot install (the queue is dropped too: the log no longer holds old txids). */
  void clear() {
    blocked.clear();
    carryingOf.clear();
    waitingForDecisionOf.clear();
    carriedBy.clear();
    toCarry.clear();
    carryAge.clear();
  }
}
