package raftsimple.core;

import java.util.ArrayDeque;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import raftsimple.chain.Hash;
import raftsimple.chain.LogEntry;
import raftsimple.core.msg.ClientEvent;
import raftsimple.core.msg.DurableRecord;
import raftsimple.core.msg.Effects;
import raftsimple.core.msg.Message;

/**
 * What this node may reveal, and when (docs/PROTOCOL.md §6, rules R2 and R4). It numbers the
 * records the node persists, learns from {@code Persisted} which are durable, and holds everything
 * that reveals a decision this node took until that decision may be revealed.
 *
 * <p>The <em>released</em> prefix of the log is what other nodes, clients and the state machine may
 * see. A batch joins it when it is <em>stable</em>: learned from another node (a {@code Commit}, a
 * fetch — the sender released it first), replayed from disk, or decided here and then either made
 * durable ({@code CommitRecord}) or, for a round-0 decision on this node's own proposal, covered by
 * durable grants from a majority of the voters <em>other than</em> this node (B2). The prefix grows
 * in log order; a stable batch after pending ones proves them stable too (their decider released
 * them before anything after them). Invariant: every batch beyond {@link #releasedLength} is one of
 * {@link #pending}, in order.
 *
 * <p>Held items wait in creation order for the released prefix to reach their {@code need} (the
 * log length they reveal); an item whose {@code need} is already released goes at once. Every held
 * item reveals more than the released prefix, and {@code need} never decreases along the queue (it
 * is the in-memory length when the item was made), so release is FIFO.
 */
final class Publication {
  /** A decision of this node's, not yet released. {@code othersNeeded} < 0: only its record counts. */
  private record Pending(long end, Hash endHash, long commitSeq, Hash valueId, int othersNeeded,
      Set<String> othersGranted) {
    boolean releasable(long durable) {
      return commitSeq <= durable || byOthers();
    }

    boolean byOthers() {
      return othersNeeded >= 0 && othersGranted.size() >= othersNeeded;
    }
  }

  /** An item revealing the log up to {@code need}; a message waits for record {@code afterSeq} too. */
  private record Held(long need, Object item, long afterSeq) {}

  private long issued;
  private long durable;
  private long releasedLength;
  private Hash releasedHead;
  private long durableLength;
  /** Commit records not yet durable: {seq, end of batch}, in order. */
  private final ArrayDeque<long[]> undurableCommits = new ArrayDeque<>();
  private final ArrayDeque<Pending> pending = new ArrayDeque<>();
  private final ArrayDeque<Held> held = new ArrayDeque<>();
  private final boolean releaseOnDecision;
  private final Marks marks;
  private Effects fx;

  /** Starts at the recovered log: everything replayed from disk is durable and released. */
  Publication(long length, Hash head, boolean plantedReleaseOnDecision, Marks marks) {
    this.marks = marks;
    this.releasedLength = length;
    this.releasedHead = head;
    this.durableLength = length;
    this.releaseOnDecision = plantedReleaseOnDecision;
  }

  /** The step whose output this collects. */
  void startStep(Effects fx) {
    this.fx = fx;
  }

  long releasedLength() {
    return releasedLength;
  }

  Hash releasedHead() {
    return releasedHead;
  }

  /** The log length whose commit records are all durable. */
  long durableLength() {
    return durableLength;
  }

  /** Batches appended whose commit records are not durable yet (pipelining depth, rule R5). */
  int undurableBatches() {
    return undurableCommits.size();
  }

  boolean isDurable(long seq) {
    return seq <= durable;
  }

  /** Queues a record after every earlier one; returns its number. */
  long persist(DurableRecord r) {
    fx.persist.add(r);
    return ++issued;
  }

  /** The number of the last record issued (0: none yet). */
  long issued() {
    return issued;
  }

  /** Storage made records 1..{@code records} durable. */
  void onPersisted(long records) {
    if (records <= durable) {
      return;
    }
    durable = Math.min(records, issued);
    while (!undurableCommits.isEmpty() && undurableCommits.peekFirst()[0] <= durable) {
      durableLength = Math.max(durableLength, undurableCommits.pollFirst()[1]);
    }
    release();
  }

  /**
   * A batch was appended with its commit record {@code commitSeq}. {@code stable}: learned from
   * others or replayed; else this node decided it, and {@code othersNeeded} (≥ 0 for a round-0
   * decision on its own proposal, -1 otherwise) durable grants from other voters also release it.
   * The entries are held for the state machine until the batch is released.
   */
  void appended(List<LogEntry> batch, long commitSeq, boolean stable, Hash valueId,
      int othersNeeded, Set<String> othersGranted) {
    LogEntry last = batch.get(batch.size() - 1);
    undurableCommits.addLast(new long[] {commitSeq, last.index()});
    held.addLast(new Held(last.index(), batch, 0));
    if (stable || releaseOnDecision) {
      pending.clear();
      advanceTo(last.index(), last.hash());
    } else {
      pending.addLast(new Pending(last.index(), last.hash(), commitSeq, valueId, othersNeeded,
          new TreeSet<>(othersGranted)));
    }
    release();
  }

  /** A durable grant for a value this node decided (it arrived after the decision). */
  void lateGrant(Hash valueId, String from) {
    for (Pending p : pending) {
      if (p.valueId.equals(valueId)) {
        p.othersGranted.add(from);
        release();
        return;
      }
    }
  }

  /** True when a decision of this node's with that value id waits to be released. */
  boolean isPending(Hash valueId) {
    for (Pending p : pending) {
      if (p.valueId.equals(valueId)) {
        return true;
      }
    }
    return false;
  }

  /** Sends {@code m} once the log up to {@code need} is released (at once when it already is). */
  void send(long need, Message m) {
    send(need, m, 0);
  }

  /**
   * As {@link #send(long, Message)}; when released before record {@code afterSeq} is durable it
   * leaves behind this step's records instead of at once (a proposal carrying entries stamped
   * above the durable txid-clock reservation, docs §10).
   */
  void send(long need, Message m, long afterSeq) {
    if (need <= releasedLength) {
      emitMessage(m, afterSeq);
    } else {
      held.addLast(new Held(need, m, afterSeq));
    }
  }

  /** Sends {@code m} behind every record issued so far (rule R7). */
  void sendAfterPersist(Message m) {
    fx.sendAfterPersist.add(m);
  }

  /** A client event revealing the log up to {@code need}. */
  void client(long need, ClientEvent e) {
    if (need <= releasedLength) {
      fx.client.add(e);
    } else {
      held.addLast(new Held(need, e, 0));
    }
  }

  /**
   * The shell installed a snapshot of the first {@code length} entries: everything up to it is
   * durable and released. Held entries it covers are dropped (the state machine's state already
   * holds them); held messages and events go out.
   */
  void snapshotInstalled(long length, Hash head) {
    pending.clear();
    undurableCommits.clear();
    durableLength = Math.max(durableLength, length);
    held.removeIf(h -> h.item instanceof List && h.need <= length);
    advanceTo(length, head);
    release();
  }

  private void release() {
    while (!pending.isEmpty() && pending.peekFirst().releasable(durable)) {
      Pending p = pending.pollFirst();
      marks.hit(p.commitSeq <= durable ? "R4.released-durable" : "R4.released-by-other-voters");
      advanceTo(p.end, p.endHash);
    }
    while (!held.isEmpty() && held.peekFirst().need <= releasedLength) {
      Held h = held.pollFirst();
      if (h.item instanceof Message m) {
        emitMessage(m, h.afterSeq);
      } else if (h.item instanceof ClientEvent e) {
        fx.client.add(e);
      } else {
        @SuppressWarnings("unchecked")
        List<LogEntry> batch = (List<LogEntry>) h.item;
        fx.committed.addAll(batch);
      }
    }
  }

  private void advanceTo(long length, Hash head) {
    if (length > releasedLength) {
      releasedLength = length;
      releasedHead = head;
    }
  }

  private void emitMessage(Message m, long afterSeq) {
    if (afterSeq > durable) {
      fx.sendAfterPersist.add(m);
    } else {
      fx.sendNow.add(m);
    }
  }
}
