package raftsimple.cli;

import java.util.concurrent.locks.LockSupport;

/**
 * Waits between reconnection attempts of {@code watch} (the CLI runs on a thread of its own, never
 * on an event loop; nothing waits here for state, only for a backoff to pass). A test gives one
 * that records instead of waiting.
 */
@FunctionalInterface
interface Pause {
  void pause(long millis);

  Pause REAL = millis -> {
    long deadline = System.nanoTime() + millis * 1_000_000;
    for (long left = millis * 1_000_000; left > 0; left = deadline - System.nanoTime()) {
      LockSupport.parkNanos(left);
      if (Thread.currentThread().isInterrupted()) {
        throw new CtlException(ExitCodes.UNREACHABLE, "interrupted");
      }
    }
  };
}
