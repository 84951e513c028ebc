package raftsimple.transport;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import raftsimple.core.msg.Message;

/**
 * The messages waiting to go to one peer, for any transport. One send is in flight at a time; what
 * queues up meanwhile leaves together in the next send, so batches form under load and messages to
 * one peer keep their order. The queue is bounded: when it is full the oldest message is dropped,
 * which the protocol tolerates (every message is retransmitted or superseded). A failed send drops
 * its batch and backs off exponentially (50 ms to 2 s) before the next try: reconnects never spin.
 */
public final class PeerOutbox {
  private static final System.Logger LOG = System.getLogger(PeerOutbox.class.getName());
  private static final long BACKOFF_MIN_MS = 50;
  private static final long BACKOFF_MAX_MS = 2_000;

  private final Vertx vertx;
  private final String peer;
  private final int queueMax;
  private final int batchMax;
  private final Function<List<Message>, Future<?>> sender;
  private final Listener listener;
  private final ArrayDeque<Message> queue = new ArrayDeque<>();
  private boolean inFlight;
  private boolean waitingForBackoff;
  private int failures;
  private boolean reachable = true;
  private long dropped;
  /** The last failure logged; a failure is logged when the peer turns unreachable or the cause
   * changes (e.g. "connection refused" becomes "answered 421"), so a persistent misconfiguration
   * shows its real reason once, without a line per retry. */
  private String lastLogged;

  /**
   * Told the outcome of every send (not only changes), on the outbox's event loop; e.g. a transport
   * feeding {@link Reachability}. With a listener the outbox does not log failures itself.
   */
  public interface Listener {
    void sent();

    void failed(Throwable cause);
  }

  public PeerOutbox(Vertx vertx, String peer, int queueMax, int batchMax,
      Function<List<Message>, Future<?>> sender) {
    this(vertx, peer, queueMax, batchMax, sender, null);
  }

  public PeerOutbox(Vertx vertx, String peer, int queueMax, int batchMax,
      Function<List<Message>, Future<?>> sender, Listener listener) {
    this.vertx = vertx;
    this.peer = peer;
    this.queueMax = queueMax;
    this.batchMax = batchMax;
    this.sender = sender;
    this.listener = listener;
  }

  public void add(Message m) {
    if (queue.size() >= queueMax) {
      queue.pollFirst();
      dropped++;
    }
    queue.addLast(m);
    pump();
  }

  public boolean reachable() {
    return reachable;
  }

  public long dropped() {
    return dropped;
  }

  public int queued() {
    return queue.size();
  }

  private void pump() {
    if (inFlight || waitingForBackoff || queue.isEmpty()) {
      return;
    }
    List<Message> batch = new ArrayList<>(Math.min(queue.size(), batchMax));
    while (!queue.isEmpty() && batch.size() < batchMax) {
      batch.add(queue.pollFirst());
    }
    inFlight = true;
    Future<?> f;
    try {
      f = sender.apply(batch);
    } catch (RuntimeException e) {
      f = Future.failedFuture(e);
    }
    f.onComplete(ar -> {
      inFlight = false;
      if (ar.succeeded()) {
        onSuccess();
        pump();
      } else {
        onFailure(ar.cause());
      }
    });
  }

  private void onSuccess() {
    if (listener != null) {
      listener.sent();
    } else if (!reachable) {
      LOG.log(System.Logger.Level.INFO, "peer {0} is reachable again", peer);
    }
    reachable = true;
    failures = 0;
    lastLogged = null;
  }

  private void onFailure(Throwable cause) {
    failures++;
    String text = String.valueOf(cause);
    if (listener != null) {
      listener.failed(cause);
    } else if (reachable || !text.equals(lastLogged)) {
      LOG.log(System.Logger.Level.WARNING, "peer {0} unreachable: {1}", peer, text);
      lastLogged = text;
    }
    reachable = false;
    long delay = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS << Math.min(10, failures - 1));
    waitingForBackoff = true;
    vertx.setTimer(delay, id -> {
      waitingForBackoff = false;
      pump();
    });
  }
}
