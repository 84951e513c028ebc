package raftsimple.core;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import raftsimple.chain.Entry;
import raftsimple.chain.Hash;
import raftsimple.core.msg.Message;

/**
 * Handing queued entries to the instance's proposer (docs/PROTOCOL.md §8, H5). Each head has one
 * designated proposer (the node that proposed the batch before it, see {@code Node.designated});
 * the others do not propose there but forward their entries to it, and it carries them at the
 * front of its next proposal. So clients on every node cost one extra hop, not a collision.
 *
 * <p>Why no entry is committed twice, wherever and however often it is proposed: a value proposed
 * on the instance after length {@code Y} never holds an entry committed before {@code Y} — its
 * builder has appended everything before {@code Y} and leaves committed txids out, and voters
 * refuse values that hold one — and each instance decides one value (a merge keeps one copy of
 * each txid). The carrier checks the one thing it could otherwise not: the forward names the head
 * the origin stood on, where the entry was not yet committed, and the carrier takes it only if its
 * own log still holds every txid from that head on (so a snapshot never hides a commit of it); it
 * drops carried entries as they commit.
 *
 * <p>Everything else here is about liveness: the origin forwards again when a forward seems lost
 * or the designated proposer changed, and proposes its entries itself when the proposer it
 * forwarded to has let the head stand still for the patience interval.
 *
 * <p>Owns its own state only; it sends through the node's {@link Publication}.
 */
final class Forwarding {
  private static final int CARRY_INSTANCES_MAX = 4;

  /**
   * One of our entries handed to {@code to} while our log had {@code atCount} batches, first at
   * {@code firstMs} (when the carrier's patience started), last sent at {@code sentMs}.
   */
  private record Forwarded(String to, long atCount, long firstMs, long sentMs) {}

  private final Node node;

  // Origin side.
  private final Map<Hash, Forwarded> forwarded = new HashMap<>();
  /** Batches appended since this node started: an instance counter for the forwards. */
  private long appendedCount;

  // Carrier side: entries others asked us to carry, with their age in instances.
  private final LinkedHashMap<Hash, Entry> toCarry = new LinkedHashMap<>();
  private final Map<Hash, Integer> carryAge = new HashMap<>();

  Forwarding(Node node) {
    this.node = node;
  }

  /**
   * Forwards our queued entries that {@code designated} does not hold yet: never forwarded, sent
   * to another node, or not committed two instances (or one patience interval) after the forward.
   */
  void forward(Collection<Entry> queue, String designated) {
    if (designated.equals(node.self) || !node.isVoter(designated) || node.voterCount() == 1) {
      return;
    }
    List<Entry> entries = new ArrayList<>();
    int bytes = 0;
    for (Entry e : queue) {
      Forwarded f = forwarded.get(e.txid());
      boolean again = f == null || !f.to.equals(designated) || appendedCount - f.atCount >= 2
          || node.now - f.sentMs >= patienceMs();
      if (!again) {
        continue;
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
    for (Entry e : entries) {
      Forwarded f = forwarded.get(e.txid());
      boolean same = f != null && f.to.equals(designated) && f.atCount == appendedCount;
      forwarded.put(e.txid(), new Forwarded(designated, appendedCount, same ? f.firstMs : node.now,
          node.now));
    }
    node.marks.hit("H5.forward");
    Message.Forward m = new Message.Forward(node.self, designated, node.log.length(),
        node.log.head(), entries);
    node.pub.send(node.log.length(), m, node.queue.waitSeq(entries, node.self));
  }

  /**
   * True when an entry we forwarded has waited a patience interval while the head stood still:
   * the carrier is not proposing (lost, paused, restarting), so the origin proposes itself.
   */
  boolean carrierStalled() {
    for (Forwarded f : forwarded.values()) {
      if (f.atCount == appendedCount && node.now - f.firstMs >= patienceMs()) {
        return true;
      }
    }
    return false;
  }

  /**
   * When {@link #carrierStalled} or a re-forward may next become true, if later than now
   * (Long.MAX_VALUE: never). One that already passed needs no timer: what it allows is tried on
   * every input.
   */
  long deadlineMs() {
    long at = Long.MAX_VALUE;
    long patience = patienceMs();
    for (Forwarded f : forwarded.values()) {
      for (long due : new long[] {f.firstMs + patience, f.sentMs + patience}) {
        if (due > node.now) {
          at = Math.min(at, due);
        }
      }
    }
    return at;
  }

  /**
   * How long the origin trusts a carrier that lets the head stand still: the adaptive recovery
   * delay (a few recent instance times), so a paused carrier costs about what a paused proposer
   * costs.
   */
  private long patienceMs() {
    return node.recoveryDelayBaseMs();
  }

  /** One of our entries was committed or dropped. */
  void forget(Hash txid) {
    forwarded.remove(txid);
  }

  /** The transport lost {@code peer}: what we forwarded to it goes elsewhere. */
  void peerDown(String peer) {
    forwarded.values().removeIf(f -> f.to.equals(peer));
  }

  /** A peer asks us to carry its entries in our next proposal. */
  void onForward(Message.Forward m) {
    CommittedLog log = node.log;
    boolean knownHead = m.length() >= log.baseLength() && m.length() <= log.length()
        && headAt(log, m.length()).equals(m.head());
    // A forward named after an older head says who the origin thought proposed there; past it,
    // only the proposer of our head carries (the origin re-forwards to it as it catches up).
    boolean stale = m.length() < log.length() && !node.designated().equals(node.self);
    if (!node.isVoter() || !knownHead || stale) {
      node.marks.hit(stale ? "H5.forward-stale" : "H5.forward-refused");
      return; // the origin forwards again or proposes itself
    }
    for (Entry e : m.entries()) {
      boolean valid = e.origin().equals(m.from()) && e.verify() && !log.contains(e.txid());
      if (valid && toCarry.size() < 4 * node.settings.batchEntriesMax()
          && !toCarry.containsKey(e.txid())) {
        toCarry.put(e.txid(), e);
        carryAge.put(e.txid(), 0);
      }
    }
  }

  private static Hash headAt(CommittedLog log, long length) {
    return length == log.baseLength() ? log.baseHash() : log.get(length).hash();
  }

  /**
   * A batch was appended. Carried entries it holds are done; the others age, and are dropped when
   * too old or when this node is no longer the designated proposer (their origins forward them to
   * the new one).
   */
  void onAppended(boolean designatedHere) {
    appendedCount++;
    for (Iterator<Map.Entry<Hash, Entry>> it = toCarry.entrySet().iterator(); it.hasNext(); ) {
      Hash h = it.next().getKey();
      int age = carryAge.merge(h, 1, Integer::sum);
      if (node.log.contains(h) || age > CARRY_INSTANCES_MAX || !designatedHere) {
        it.remove();
        carryAge.remove(h);
      }
    }
  }

  /** True when others' entries wait for our next proposal. */
  boolean carrying() {
    return !toCarry.isEmpty();
  }

  /**
   * Others' entries for a proposal now, at most {@code max} of them (never a committed one); they
   * are carried once only.
   */
  List<Entry> takeForProposal(int max) {
    List<Entry> out = new ArrayList<>(Math.min(max, toCarry.size()));
    for (Iterator<Map.Entry<Hash, Entry>> it = toCarry.entrySet().iterator(); it.hasNext()
        && out.size() < max; ) {
      Map.Entry<Hash, Entry> e = it.next();
      it.remove();
      carryAge.remove(e.getKey());
      if (!node.log.contains(e.getKey())) {
        out.add(e.getValue());
      }
    }
    return out;
  }

  /** Others' entries we would carry (for a recovery's free choice), without taking them. */
  Collection<Entry> carried() {
    return toCarry.values();
  }

  /** After a snapshot install (the queue is dropped too: the log no longer holds old txids). */
  void clear() {
    forwarded.clear();
    toCarry.clear();
    carryAge.clear();
  }
}
