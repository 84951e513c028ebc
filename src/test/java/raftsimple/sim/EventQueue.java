package raftsimple.sim;

import java.util.Comparator;
import java.util.PriorityQueue;

/**
 * The simulation's only notion of time: a queue of actions ordered by simulated time, ties broken by
 * the order they were scheduled in, so a run is a pure function of its seed. Nothing waits on a
 * real clock.
 */
final class EventQueue {
  private record Event(long atMs, long seq, Runnable action) {}

  private final PriorityQueue<Event> queue =
      new PriorityQueue<>(Comparator.comparingLong(Event::atMs).thenComparingLong(Event::seq));
  private long seq;
  private long nowMs;

  long nowMs() {
    return nowMs;
  }

  /** Runs {@code action} at {@code atMs} (never in the past). */
  void at(long atMs, Runnable action) {
    queue.add(new Event(Math.max(atMs, nowMs), seq++, action));
  }

  void after(long delayMs, Runnable action) {
    at(nowMs + delayMs, action);
  }

  /** Runs the next action if it is due at or before {@code untilMs}; false when none is. */
  boolean runNext(long untilMs) {
    Event e = queue.peek();
    if (e == null || e.atMs > untilMs) {
      nowMs = Math.max(nowMs, untilMs);
      return false;
    }
    queue.poll();
    nowMs = e.atMs;
    e.action.run();
    return true;
  }

  int size() {
    return queue.size();
  }
}
