package raftsimple.log;

import io.vertx.core.eventbus.Message;
import raftsimple.bus.BusApi.SubmitOutcome;
import raftsimple.chain.Hash;

/**
 * Joins a retry to its entry in flight (docs/PROTOCOL.md §10): a request whose idempotency key is
 * {@linkplain PendingKeys pending} here waits for that entry's outcome instead of becoming a second
 * entry; one with the same key and another body is refused ({@code IDEMPOTENCY_KEY_REUSED}, 422),
 * as the replicated table will refuse it once the first commits.
 */
final class RetryAttach {
  static final String KEY_REUSED = "IDEMPOTENCY_KEY_REUSED";

  private final PendingKeys keys;
  private final ClientWaiters clients;

  RetryAttach(PendingKeys keys, ClientWaiters clients) {
    this.keys = keys;
    this.clients = clients;
  }

  /**
   * Attaches {@code reply} to the entry in flight with {@code key}, or refuses it; false (nothing
   * done) when no entry with that key is in flight here.
   */
  boolean attach(String key, Hash bodyHash, Message<Object> reply, long deadlineMs) {
    PendingKeys.Pending p = keys.get(key);
    if (p == null) {
      return false;
    }
    if (!p.bodyHash().equals(bodyHash)) {
      reply.reply(new SubmitOutcome(SubmitOutcome.Kind.REFUSED, null, 0, null, null, KEY_REUSED,
          "Idempotency-Key " + key + " is in use by an entry in flight with a different body"));
      return true;
    }
    if (p.txid() != null) {
      clients.attachToTxid(p.ref(), p.txid(), reply, deadlineMs);
    } else if (!clients.attachToRef(p.ref(), reply, deadlineMs)) {
      clients.add(p.ref(), reply, deadlineMs); // the first client left before the txid came
    }
    return true;
  }
}
