package raftsimple.e2e;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A copy of one node's whole log, kept by following {@code GET /log} as it grows: once the nodes
 * compact their logs into snapshots (docs/PROTOCOL.md §12) no node can show the entries before its
 * first retained index any more, and this copy is what the test checks every acknowledged entry
 * against. Each entry's chain link is checked as it arrives.
 *
 * <p>It must never fall behind the node's compaction (the node drops entries older than
 * {@code snapshotRetainEntries} before its newest snapshot). Clients that call {@link #throttle}
 * before each request are held back while they have sent more than {@code window} entries beyond
 * what the tap copied, so with {@code window} below {@code snapshotRetainEntries} (less the few
 * system entries) it cannot: the node's log is never longer than what was sent.
 */
final class LogTap implements AutoCloseable {
  private static final int PAGE = 1000;

  private final Api api;
  private final NodeProcess node;
  private final Thread thread;
  private final List<LogChain.Row> rows = new ArrayList<>();
  private String head = LogChain.ZERO;
  private Throwable failure;
  private volatile boolean closed;

  LogTap(Api api, NodeProcess node) {
    this.api = api;
    this.node = node;
    this.thread = new Thread(this::run, "log-tap-" + node.id);
    this.thread.setDaemon(true);
  }

  LogTap start() {
    thread.start();
    return this;
  }

  private void run() {
    while (!closed) {
      try {
        long from = length() + 1;
        Api.Resp r = api.get(node.url, "/log?from=" + from + "&limit=" + PAGE);
        if (r.status() != 200) {
          throw new AssertionError("the tap on " + node.id + " got " + r + " for GET /log?from=" + from
              + (r.status() == 410 ? " (it fell behind the node's compaction: the throttle window is too large)" : ""));
        }
        List<LogChain.Row> page = LogChain.parse(r.bytes()).entries();
        synchronized (this) {
          head = LogChain.verify(page, from, head);
          rows.addAll(page);
          notifyAll();
        }
        if (page.size() < PAGE) {
          Thread.sleep(20); // the poll interval when caught up, not a synchronization
        }
      } catch (IOException notNow) {
        pause(); // the node is restarting or busy; the log is still there
      } catch (InterruptedException e) {
        return;
      } catch (Throwable t) {
        synchronized (this) {
          failure = t;
          notifyAll();
        }
        return;
      }
    }
  }

  private static void pause() {
    try {
      Thread.sleep(100);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  synchronized long length() {
    return rows.size();
  }

  /**
   * Blocks while {@code sent} (entries the throttled clients have sent so far, counting this one)
   * is more than {@code window} ahead of the copy; fails if the tap failed.
   */
  synchronized void throttle(long sent, long window) {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (failure == null && sent - rows.size() > window) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new AssertionError("the tap on " + node.id + " copied nothing for 60 s: " + rows.size()
            + " entries, " + sent + " sent");
      }
      try {
        java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(this, left);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted", e);
      }
    }
    checkHealthy();
  }

  /** Waits until the copy holds {@code length} entries; returns the whole copy (index 1 first). */
  List<LogChain.Row> awaitLength(long length, Duration timeout) {
    Await.until("the tap on " + node.id + " to copy " + length + " entries", timeout, () -> {
      synchronized (this) {
        checkHealthy();
        return rows.size() >= length;
      }
    });
    synchronized (this) {
      return List.copyOf(rows);
    }
  }

  private synchronized void checkHealthy() {
    if (failure != null) {
      throw new AssertionError("the log tap on " + node.id + " failed: " + failure, failure);
    }
  }

  @Override
  public void close() {
    closed = true;
    thread.interrupt();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
