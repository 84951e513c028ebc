package raftsimple.core;

import java.util.ArrayList;
import java.util.HashSet;
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
 * <p>Why no entry is committed twice: a forward names the instance it is for — the one right after
 * the head {@code L} the origin stands on — and the carrier puts the entries in its round-0
 * proposal at exactly that instance or drops them. The origin keeps them out of its own proposals
 * and recovery unions at every other instance ("blocked") until it has appended that carrying
 * instance; by then the entries are either in the log or can no longer get there, and they become
 * ordinary queued entries again. At the carrying instance itself the origin may propose them too
 * (one instance decides one value; a merge keeps one copy of each txid): it does so when the
 * carrier has not proposed there within one retransmit interval, so a lost forward or an idle
 * carrier never leaves entries waiting for an instance nobody starts.
 */
final class Forwarding {
  private final Node node;

  // Origin side: our own queued entries that another node may carry.
  private final Set<Hash> blocked = new HashSet<>();
  /** Head length L → entries forwarded for the instance after the one at L. */
  private final TreeMap<Long, List<Hash>> waitingForDecisionOf = new TreeMap<>();
  /** Length of the carrying instance → entries it may carry. */
  private final TreeMap<Long, List<Hash>> carriedBy = new TreeMap<>();

  // Carrier side: entries other nodes asked us to carry, by the head length L they were sent at.
  private final TreeMap<Long, LinkedHashMap<Hash, Entry>> toCarry = new TreeMap<>();
  private List<Entry> ready = List.of();
  /** Our forwarded entry → the length of the instance that may carry it (once known). */
  private final Map<Hash, Long> carryingOf = new java.util.HashMap<>();
  /** When this node reached its current head (monotonic ms). */
  private long reachedMs;

  Forwarding(Node node) {
    this.node = node;
  }

  boolean blocked(Hash txid) {
    return blocked.contains(txid);
  }

  /**
   * True when our own queued entry may go into a value on the current instance: it is not
   * forwarded, or this is the instance that may carry it and (unless {@code now}) the carrier has
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
   * After voting for another proposer's proposal on the head: hand it our unblocked queued entries,
   * for the instance after this one.
   */
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

  /** A peer asks us to carry its entries in our proposal on the instance after its head. */
  void onForward(Message.Forward m) {
    Instance inst = node.inst;
    if (!node.isVoter() || m.length() != inst.length || !m.head().equals(inst.head)) {
      node.marks.hit("H5.forward-late");
      return; // the origin unblocks them once the instance it named is decided
    }
    LinkedHashMap<Hash, Entry> carry = toCarry.computeIfAbsent(inst.length, k -> new LinkedHashMap<>());
    for (Entry e : m.entries()) {
      boolean valid = e.origin().equals(m.from()) && e.verify() && !node.log.contains(e.txid())
          && !SystemEntries.isSystem(e.payload());
      if (valid && carry.size() < 4 * node.settings.batchEntriesMax()) {
        carry.putIfAbsent(e.txid(), e);
      }
    }
  }

  /** The instance at {@code oldLength} was decided; the head is now {@code newLength}. */
  void onAppended(long oldLength, long newLength) {
    List<Hash> forwarded = waitingForDecisionOf.remove(oldLength);
    reachedMs = node.now;
    if (forwarded != null) {
      carriedBy.computeIfAbsent(newLength, k -> new ArrayList<>()).addAll(forwarded);
      for (Hash h : forwarded) {
        carryingOf.put(h, newLength);
      }
    }
    List<Hash> settled = carriedBy.remove(oldLength);
    if (settled != null) {
      release(settled); // in the log now, or never: free to propose again
    }
    // Anything keyed below the head is stale (the node jumped ahead): release it too.
    for (List<Hash> stale : waitingForDecisionOf.headMap(newLength).values()) {
      release(stale);
    }
    waitingForDecisionOf.headMap(newLength).clear();
    for (List<Hash> stale : carriedBy.headMap(newLength).values()) {
      release(stale);
    }
    carriedBy.headMap(newLength).clear();
    LinkedHashMap<Hash, Entry> carry = toCarry.remove(oldLength);
    toCarry.headMap(newLength).clear();
    List<Entry> next = new ArrayList<>();
    if (carry != null) {
      for (Entry e : carry.values()) {
        if (!node.log.contains(e.txid())) {
          next.add(e);
        }
      }
    }
    ready = next;
  }

  private void release(List<Hash> txids) {
    for (Hash h : txids) {
      blocked.remove(h);
      carryingOf.remove(h);
    }
  }

  /** The forwarded entries to carry in our proposal on the current instance; once only. */
  List<Entry> takeReady() {
    List<Entry> r = ready;
    ready = List.of();
    return r;
  }

  /** After a snapshot install (the queue is dropped too). */
  void clear() {
    blocked.clear();
    carryingOf.clear();
    waitingForDecisionOf.clear();
    carriedBy.clear();
    toCarry.clear();
    ready = List.of();
  }
}
