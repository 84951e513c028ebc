package raftsimple.log;

import io.vertx.core.eventbus.Message;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import raftsimple.bus.BusApi.SubmitOutcome;
import raftsimple.chain.Hash;

/**
 * Clients waiting for their entry's outcome. A waiter is known by the shell's ref until the core
 * assigns a txid, then also by the txid. Deadlines grow with arrival order (one request timeout for
 * all), so expiry sweeps from the oldest and stops at the first one still in time.
 */
final class ClientWaiters {
  private static final class Waiter {
    final Message<Object> reply;
    final long deadlineMs;
    Hash txid;

    Waiter(Message<Object> reply, long deadlineMs) {
      this.reply = reply;
      this.deadlineMs = deadlineMs;
    }
  }

  private final LinkedHashMap<Long, Waiter> byRef = new LinkedHashMap<>();
  private final Map<Hash, Long> refByTxid = new HashMap<>();

  void add(long ref, Message<Object> reply, long deadlineMs) {
    byRef.put(ref, new Waiter(reply, deadlineMs));
  }

  void assigned(long ref, Hash txid) {
    Waiter w = byRef.get(ref);
    if (w != null) {
      w.txid = txid;
      refByTxid.put(txid, ref);
    }
  }

  void refused(long ref, String code, String reason) {
    Waiter w = byRef.remove(ref);
    if (w != null) {
      w.reply.reply(new SubmitOutcome(SubmitOutcome.Kind.REFUSED, null, 0, null, null, code, reason));
    }
  }

  /** Answers the client of entry {@code txid}, if it is still waiting here. */
  void complete(Hash txid, SubmitOutcome outcome) {
    Long ref = refByTxid.remove(txid);
    Waiter w = ref == null ? null : byRef.remove(ref);
    if (w != null) {
      w.reply.reply(outcome);
    }
  }

  /** Answers 503 to every client whose deadline passed; the entry may still commit later. */
  void expire(long nowMs, String reason) {
    for (Iterator<Waiter> it = byRef.values().iterator(); it.hasNext(); ) {
      Waiter w = it.next();
      if (w.deadlineMs > nowMs) {
        break;
      }
      it.remove();
      failOne(w, reason);
    }
  }

  /** The earliest deadline of a waiting client (Long.MAX_VALUE: none waits). */
  long nextDeadlineMs() {
    return byRef.isEmpty() ? Long.MAX_VALUE : byRef.values().iterator().next().deadlineMs;
  }

  /** Answers 503 to every waiting client (the node is stopping). */
  void failAll(String reason) {
    for (Waiter w : byRef.values()) {
      failOne(w, reason);
    }
    byRef.clear();
  }

  private void failOne(Waiter w, String reason) {
    if (w.txid != null) {
      refByTxid.remove(w.txid);
    }
    w.reply.reply(new SubmitOutcome(SubmitOutcome.Kind.UNAVAILABLE, w.txid, 0, null, null,
        "UNAVAILABLE", reason));
  }

  int size() {
    return byRef.size();
  }
}
