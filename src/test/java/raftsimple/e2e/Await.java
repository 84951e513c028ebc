package raftsimple.e2e;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.function.Predicate;

/** Polling with a deadline: the only way these tests wait for the system under test. */
final class Await {
  static final Duration POLL = Duration.ofMillis(50);

  private Await() {}

  /**
   * Calls {@code probe} until {@code done} accepts its value, and returns that value; fails naming
   * {@code what} and the last value (or exception) when {@code timeout} passes first.
   */
  static <T> T until(String what, Duration timeout, Callable<T> probe, Predicate<? super T> done) {
    long deadline = System.nanoTime() + timeout.toNanos();
    T last = null;
    Exception lastError = null;
    while (true) {
      try {
        last = probe.call();
        lastError = null;
        if (done.test(last)) {
          return last;
        }
      } catch (Exception e) {
        lastError = e;
      }
      if (System.nanoTime() - deadline > 0) {
        AssertionError failure = new AssertionError("timed out after " + timeout.toMillis()
            + " ms waiting for " + what + "; last value: " + last
            + (lastError == null ? "" : "; last error: " + lastError));
        if (lastError != null) {
          failure.initCause(lastError);
        }
        throw failure;
      }
      pause();
    }
  }

  /** Waits until {@code condition} holds. */
  static void until(String what, Duration timeout, Callable<Boolean> condition) {
    until(what, timeout, condition, Boolean.TRUE::equals);
  }

  private static void pause() {
    try {
      Thread.sleep(POLL.toMillis()); // the poll interval, not a synchronization
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while polling", e);
    }
  }
}
