package raftsimple.e2e;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Client threads that submit entries to one node back to back (each waits for its answer before
 * the next) and record every outcome: the answer, or the {@link IOException} when there was none.
 */
final class Writers {
  /** What a thread sends next; {@code idempotencyKey} may be null. */
  record Request(String key, String payload, String idempotencyKey) {}

  @FunctionalInterface
  interface Gen {
    Request next(int thread, long seq);
  }

  /** One request and what came of it. */
  record Outcome(NodeProcess node, int thread, long seq, Request request, Api.Resp resp,
      IOException error, long startNanos, long endNanos) {
    boolean acked() {
      return resp != null && resp.status() == 201;
    }

    String txid() {
      return resp == null ? null : resp.str("txid");
    }

    long index() {
      return resp.num("index");
    }

    long millis() {
      return TimeUnit.NANOSECONDS.toMillis(endNanos - startNanos);
    }

    @Override
    public String toString() {
      return node.id + "/t" + thread + "#" + seq + " " + request.payload() + " -> "
          + (resp != null ? resp.toString() : "no answer: " + error) + " (" + millis() + " ms)";
    }
  }

  private final Api api;
  private final NodeProcess node;
  private final Gen gen;
  private final long perThread;
  private final List<Thread> threads = new ArrayList<>();
  private final ConcurrentLinkedQueue<Outcome> outcomes = new ConcurrentLinkedQueue<>();
  private final AtomicLong answered = new AtomicLong();
  private volatile boolean stopping;

  /** {@code threadCount} threads, each sending at most {@code perThread} requests. */
  Writers(Api api, NodeProcess node, int threadCount, long perThread, Gen gen) {
    this.api = api;
    this.node = node;
    this.gen = gen;
    this.perThread = perThread;
    for (int t = 0; t < threadCount; t++) {
      int thread = t;
      Thread th = new Thread(() -> run(thread), "writer-" + node.id + "-" + t);
      th.setDaemon(true);
      threads.add(th);
    }
  }

  /** Threads that run until {@link #stop()}. */
  Writers(Api api, NodeProcess node, int threadCount, Gen gen) {
    this(api, node, threadCount, Long.MAX_VALUE, gen);
  }

  Writers start() {
    threads.forEach(Thread::start);
    return this;
  }

  private void run(int thread) {
    for (long seq = 0; seq < perThread && !stopping; seq++) {
      Request req = gen.next(thread, seq);
      long start = System.nanoTime();
      Api.Resp resp = null;
      IOException error = null;
      try {
        resp = api.submit(node.url, req.payload(), req.idempotencyKey());
      } catch (IOException e) {
        error = e;
      }
      outcomes.add(new Outcome(node, thread, seq, req, resp, error, start, System.nanoTime()));
      answered.incrementAndGet();
    }
  }

  /** Requests finished so far (answered or failed). */
  long count() {
    return answered.get();
  }

  /** Tells the threads to stop after their current request, without waiting. */
  Writers signalStop() {
    stopping = true;
    return this;
  }

  /** Stops the threads after their current request and waits for them (bounded). */
  List<Outcome> stop() {
    stopping = true;
    return join();
  }

  /** Waits (bounded) for the threads to end by themselves. */
  List<Outcome> join() {
    for (Thread t : threads) {
      try {
        t.join(TimeUnit.SECONDS.toMillis(60));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted", e);
      }
      if (t.isAlive()) {
        throw new AssertionError(t.getName() + " is still waiting for an answer after 60 s");
      }
    }
    return outcomes();
  }

  List<Outcome> outcomes() {
    return List.copyOf(outcomes);
  }

  /** "n requests, statuses, latency p50/p99/max" for the test's output. */
  static String summary(List<Outcome> outcomes) {
    long[] ms = outcomes.stream().mapToLong(Outcome::millis).sorted().toArray();
    java.util.Map<String, Long> statuses = new java.util.TreeMap<>();
    outcomes.forEach(o -> statuses.merge(o.resp() == null ? "none" : Integer.toString(o.resp().status()), 1L, Long::sum));
    if (ms.length == 0) {
      return "no requests";
    }
    return ms.length + " requests " + statuses + ", latency ms p50 " + ms[ms.length / 2] + " p99 "
        + ms[(int) (ms.length * 0.99)] + " max " + ms[ms.length - 1];
  }
}
