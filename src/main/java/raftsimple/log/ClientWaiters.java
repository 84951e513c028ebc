package raftsimple.log;

import io.vertx.core.eventbus.Message;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import raftsimple.bus.BusApi.SubmitOutcome;
import raftsimple.chain.Hash;

/**
 * Clients waiting for an entry's outcome. A submit's waiters are known by the shell's ref until
 * the core assigns a txid, then by the txid; several clients may wait for one entry (a retry with
 * the same idempotency key attaches to the entry in flight, {@link PendingKeys}). Each waiter has
 * its own deadline, and all deadlines are one request timeout after arrival, so they grow with
 * arrival order and expiry sweeps from the oldest, stopping at the first one still in time.
 *
 * <p>Invariants: every waiter in {@code byDeadline} that is not {@code done} is in exactly one
 * group, of {@code byRef} (not yet assigned) or {@code byTxid}; a group is never empty.
 */
final class ClientWaiters {
  private static final class Waiter {
    final Message<Object> reply;
    final long deadlineMs;
    Group group;
    boolean done;

    Waiter(Message<Object> reply, long deadlineMs) {
      this.reply = reply;
      this.deadlineMs = deadlineMs;
    }
  }

  /** The waiters of one submit, then of its entry. */
  private static final class Group {
    final long ref;
    Hash txid;
    final List<Waiter> waiters = new ArrayList<>(1);

    Group(long ref) {
      this.ref = ref;
    }
  }

  private final ArrayDeque<Waiter> byDeadline = new ArrayDeque<>();
  private final Map<Long, Group> byRef = new HashMap<>();
  private final Map<Hash, Group> byTxid = new HashMap<>();
  private int waiting;

  /** A client waits for submit {@code ref}. */
  void add(long ref, Message<Object> reply, long deadlineMs) {
    Group g = new Group(ref);
    byRef.put(ref, g);
    join(g, reply, deadlineMs);
  }

  /**
   * Another client waits for the same entry as submit {@code ref} (not assigned a txid yet), or,
   * when that submit has no waiter left, nothing: the caller then attaches by txid once known.
   *
   * @return false when no one waits for {@code ref} any more
   */
  boolean attachToRef(long ref, Message<Object> reply, long deadlineMs) {
    Group g = byRef.get(ref);
    if (g == null) {
      return false;
    }
    join(g, reply, deadlineMs);
    return true;
  }

  /** Another client waits for entry {@code txid} (whose earlier clients may have given up). */
  void attachToTxid(long ref, Hash txid, Message<Object> reply, long deadlineMs) {
    Group g = byTxid.get(txid);
    if (g == null) {
      g = new Group(ref);
      g.txid = txid;
      byTxid.put(txid, g);
    }
    join(g, reply, deadlineMs);
  }

  private void join(Group g, Message<Object> reply, long deadlineMs) {
    Waiter w = new Waiter(reply, deadlineMs);
    w.group = g;
    g.waiters.add(w);
    byDeadline.addLast(w);
    waiting++;
  }

  void assigned(long ref, Hash txid) {
    Group g = byRef.remove(ref);
    if (g != null) {
      g.txid = txid;
      byTxid.put(txid, g);
    }
  }

  void refused(long ref, String code, String reason) {
    Group g = byRef.remove(ref);
    if (g != null) {
      answerAll(g, new SubmitOutcome(SubmitOutcome.Kind.REFUSED, null, 0, null, null, code, reason));
    }
  }

  /** Answers the clients of entry {@code txid}, if any wait here. */
  void complete(Hash txid, SubmitOutcome outcome) {
    Group g = byTxid.remove(txid);
    if (g != null) {
      answerAll(g, outcome);
    }
  }

  /** Answers 503 to every client whose deadline passed; the entry may still commit later. */
  void expire(long nowMs, String reason) {
    while (!byDeadline.isEmpty()) {
      Waiter w = byDeadline.peekFirst();
      if (!w.done && w.deadlineMs > nowMs) {
        break;
      }
      byDeadline.pollFirst();
      if (!w.done) {
        leave(w);
        answer(w, unavailable(w.group.txid, reason));
      }
    }
  }

  /** The earliest deadline of a waiting client (Long.MAX_VALUE: none waits). */
  long nextDeadlineMs() {
    // In arrival order, so in deadline order (one timeout for all); one answered early only makes
    // the timer fire once for nothing.
    return byDeadline.isEmpty() ? Long.MAX_VALUE : byDeadline.peekFirst().deadlineMs;
  }

  /** Answers 503 to every waiting client (the node is stopping). */
  void failAll(String reason) {
    for (Waiter w : byDeadline) {
      if (!w.done) {
        answer(w, unavailable(w.group.txid, reason));
      }
    }
    byDeadline.clear();
    byRef.clear();
    byTxid.clear();
    waiting = 0;
  }

  /** Removes {@code w} from its group, and the group once empty. */
  private void leave(Waiter w) {
    Group g = w.group;
    g.waiters.remove(w);
    if (g.waiters.isEmpty()) {
      if (g.txid == null) {
        byRef.remove(g.ref);
      } else {
        byTxid.remove(g.txid);
      }
    }
  }

  private void answerAll(Group g, SubmitOutcome outcome) {
    for (Waiter w : g.waiters) {
      answer(w, outcome);
    }
    g.waiters.clear();
  }

  private void answer(Waiter w, SubmitOutcome outcome) {
    w.done = true;
    waiting--;
    w.reply.reply(outcome);
  }

  private static SubmitOutcome unavailable(Hash txid, String reason) {
    return new SubmitOutcome(SubmitOutcome.Kind.UNAVAILABLE, txid, 0, null, null, "UNAVAILABLE", reason);
  }

  /** Clients waiting. */
  int size() {
    return waiting;
  }
}
