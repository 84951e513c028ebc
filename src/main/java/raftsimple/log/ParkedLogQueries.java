package raftsimple.log;

import io.vertx.core.eventbus.Message;
import java.util.ArrayDeque;
import java.util.Iterator;
import raftsimple.bus.BusApi;
import raftsimple.core.Node;

/**
 * {@code GET /log} pages wait until the state machine has applied the entries they show, because
 * an entry's {@code "duplicateOf"} mark is decided when it is applied ({@link Duplicates}): an
 * entry is then shown the same way every time, and the same way on every node. The wait is the
 * apply lag, usually a batch or two; a page that waits longer than {@code waitMs} (a state machine
 * busy restoring a snapshot) is answered 503. At most {@value #PARKED_MAX} pages wait; more are
 * answered 503 at once. Confined to the log verticle's event loop.
 */
final class ParkedLogQueries {
  static final int PARKED_MAX = 1_000;

  private record Parked(Message<BusApi.Query> message, long from, long end, long deadlineMs) {}

  private final LogQueries queries;
  private final Duplicates duplicates;
  private final long waitMs;
  /** In arrival order, so also in deadline order. */
  private final ArrayDeque<Parked> parked = new ArrayDeque<>();

  ParkedLogQueries(LogQueries queries, Duplicates duplicates, long waitMs) {
    this.queries = queries;
    this.duplicates = duplicates;
    this.waitMs = Math.max(1, waitMs);
  }

  /** Answers the page {@code from .. from+limit-1} now if it is applied, else once it is. */
  void answer(Message<BusApi.Query> m, Node node, long visibleLength, long appliedIndex, long from,
      int limit, long nowMs) {
    long end = Math.min(visibleLength, from + Math.max(0, limit) - 1);
    if (appliedIndex >= end) {
      m.reply(queries.log(node, visibleLength, from, end, duplicates));
    } else if (parked.size() >= PARKED_MAX) {
      m.fail(503, "too many log reads are waiting for the state machine to apply their entries");
    } else {
      parked.addLast(new Parked(m, from, end, nowMs + waitMs));
    }
  }

  /** The state machine applied through {@code appliedIndex}: answer the pages it covers. */
  void applied(Node node, long visibleLength, long appliedIndex) {
    for (Iterator<Parked> it = parked.iterator(); it.hasNext(); ) {
      Parked p = it.next();
      if (p.end() <= appliedIndex) {
        it.remove();
        p.message().reply(queries.log(node, visibleLength, p.from(), p.end(), duplicates));
      }
    }
  }

  /** 503 for the pages that waited too long. */
  /** The earliest deadline of a parked query (Long.MAX_VALUE: none is parked). */
  long nextDeadlineMs() {
    return parked.isEmpty() ? Long.MAX_VALUE : parked.peekFirst().deadlineMs();
  }

    void expire(long nowMs, long appliedIndex) {
    while (!parked.isEmpty() && parked.peekFirst().deadlineMs() <= nowMs) {
      Parked p = parked.pollFirst();
      p.message().fail(503, "the state machine has not applied entries up to " + p.end()
          + " yet (applied through " + appliedIndex + ")");
    }
  }

  void failAll(String reason) {
    for (Parked p : parked) {
      p.message().fail(503, reason);
    }
    parked.clear();
  }
}
