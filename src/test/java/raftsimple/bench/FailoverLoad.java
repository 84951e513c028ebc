package raftsimple.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The load generator of {@code bench/failover.sh}: closed-loop clients writing to the nodes that
 * survive a fault, each request's start and end recorded, so that the stall a fault causes — the
 * longest time with no successful write — can be read off afterwards. JDK only (no dependency), so
 * the script runs it straight from its source ({@code java FailoverLoad.java}).
 *
 * <pre>
 *   java FailoverLoad.java --kind raftsimple|etcd --urls http://a,http://b --conns 8 --seconds 30
 *        --events events.txt [--window-ms 5000]
 * </pre>
 *
 * <p>Writes are puts of a ~100-byte value over 10,000 keys, as {@code bench/put.lua} and
 * {@code etcd-put.lua}; client {@code i} writes to {@code urls[i % n]}. Once the run is over it
 * reads {@code events.txt} (lines {@code <name> <epoch µs>}, written by the script while the load
 * ran: the fault, then the recovery) and prints one line:
 *
 * <pre>
 * RESULT requests=.. errors=.. stall_fault_ms=.. stall_recover_ms=.. p99_fault_ms=.. max_fault_ms=..
 *        p99_recover_ms=.. max_recover_ms=.. p99_base_ms=.. stall_base_ms=..
 * </pre>
 *
 * <ul>
 *   <li>{@code stall_<event>_ms}: the longest gap between consecutive successful completions that
 *       ends after the event and starts within {@code window-ms} of it (so a stall the event causes
 *       is counted whole, and the normal gaps of milliseconds are not);
 *   <li>{@code p99/max_<event>_ms}: latency of the requests in flight at some time in
 *       {@code [event, event + window-ms]} — the ones the event could delay;
 *   <li>{@code p99_base_ms}, {@code stall_base_ms}: latency of the requests that ended before the
 *       first event, and the longest gap between completions then (after the first second):
 *       the cluster's normal, to read the rest against;
 *   <li>{@code errors}: requests that failed (non-2xx, timeout, connection error) in the whole run.
 * </ul>
 */
public final class FailoverLoad {
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final int KEYS = 10_000;

  /** One client's requests: start and end (epoch µs) and success, in order. */
  private static final class Log {
    long[] start = new long[1 << 14];
    long[] end = new long[1 << 14];
    boolean[] ok = new boolean[1 << 14];
    int n;

    void add(long s, long e, boolean success) {
      if (n == start.length) {
        start = Arrays.copyOf(start, n * 2);
        end = Arrays.copyOf(end, n * 2);
        ok = Arrays.copyOf(ok, n * 2);
      }
      start[n] = s;
      end[n] = e;
      ok[n] = success;
      n++;
    }
  }

  private FailoverLoad() {}

  /** Wall-clock microseconds, monotonic within the run: the script's {@code date +%s%6N} scale. */
  private static final long EPOCH_US = System.currentTimeMillis() * 1000;
  private static final long NANO0 = System.nanoTime();

  static long nowUs() {
    return EPOCH_US + (System.nanoTime() - NANO0) / 1000;
  }

  public static void main(String[] args) throws Exception {
    String kind = "raftsimple";
    List<String> urls = new ArrayList<>();
    int conns = 8;
    int seconds = 30;
    Path events = null;
    long windowUs = 5_000_000;
    for (int i = 0; i + 1 < args.length; i += 2) {
      String v = args[i + 1];
      switch (args[i]) {
        case "--kind" -> kind = v;
        case "--urls" -> urls.addAll(Arrays.asList(v.split(",")));
        case "--conns" -> conns = Integer.parseInt(v);
        case "--seconds" -> seconds = Integer.parseInt(v);
        case "--events" -> events = Path.of(v);
        case "--window-ms" -> windowUs = Long.parseLong(v) * 1000;
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    if (urls.isEmpty() || conns < 1 || seconds < 1 || events == null
        || !(kind.equals("raftsimple") || kind.equals("etcd"))) {
      throw new IllegalArgumentException("usage: --kind raftsimple|etcd --urls a,b --conns 8 "
          + "--seconds 30 --events file [--window-ms 5000]");
    }
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(2)).build();
    long deadline = nowUs() + seconds * 1_000_000L;
    Log[] logs = new Log[conns];
    Thread[] threads = new Thread[conns];
    for (int c = 0; c < conns; c++) {
      Log log = logs[c] = new Log();
      String url = urls.get(c % urls.size());
      boolean etcd = kind.equals("etcd");
      SplittableRandom rnd = new SplittableRandom(c * 7919L + 1);
      threads[c] = new Thread(() -> run(http, url, etcd, rnd, deadline, log), "client-" + c);
      threads[c].start();
    }
    for (Thread t : threads) {
      t.join();
    }
    System.out.println(analyze(logs, readEvents(events), windowUs));
  }

  private static void run(HttpClient http, String url, boolean etcd, SplittableRandom rnd,
      long deadline, Log log) {
    String value = "v".repeat(100);
    URI uri = URI.create(url + (etcd ? "/v3/kv/put" : "/entries"));
    while (nowUs() < deadline) {
      String key = "key-" + rnd.nextInt(KEYS);
      String body = etcd
          ? "{\"key\":\"" + b64(key) + "\",\"value\":\"" + b64(value) + "\"}"
          : "{\"op\":\"put\",\"key\":\"" + key + "\",\"value\":\"" + value + "\"}";
      HttpRequest req = HttpRequest.newBuilder(uri).timeout(TIMEOUT)
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(body)).build();
      long s = nowUs();
      boolean ok;
      try {
        HttpResponse<Void> r = http.send(req, HttpResponse.BodyHandlers.discarding());
        ok = r.statusCode() / 100 == 2;
      } catch (IOException e) {
        ok = false;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      long e = nowUs();
      log.add(s, e, ok);
      if (!ok) {
        // A refused connection fails at once: do not spin on a dead node.
        try {
          Thread.sleep(10);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  /** {@code <name> <epoch µs>} per line, in the order they happened. */
  static List<long[]> readEvents(Path file) throws IOException {
    List<long[]> out = new ArrayList<>();
    for (String line : Files.readAllLines(file)) {
      String[] f = line.trim().split("\\s+");
      if (f.length == 2) {
        out.add(new long[] {out.size(), Long.parseLong(f[1])});
      }
    }
    return out;
  }

  /** The RESULT line for the runs in {@code logs} and the fault and recovery times (epoch µs). */
  static String analyze(Log[] logs, List<long[]> events, long windowUs) {
    int total = 0;
    int errors = 0;
    for (Log l : logs) {
      total += l.n;
      for (int i = 0; i < l.n; i++) {
        errors += l.ok[i] ? 0 : 1;
      }
    }
    long[] done = new long[total - errors];
    int k = 0;
    for (Log l : logs) {
      for (int i = 0; i < l.n; i++) {
        if (l.ok[i]) {
          done[k++] = l.end[i];
        }
      }
    }
    Arrays.sort(done);
    StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "RESULT requests=%d errors=%d",
        total, errors));
    String[] names = {"fault", "recover"};
    for (int e = 0; e < names.length; e++) {
      if (e >= events.size()) {
        out.append(" stall_").append(names[e]).append("_ms=NA");
        continue;
      }
      out.append(String.format(Locale.ROOT, " stall_%s_ms=%.1f", names[e],
          stallUs(done, events.get(e)[1], windowUs) / 1000.0));
    }
    for (int e = 0; e < names.length; e++) {
      if (e >= events.size()) {
        out.append(" p99_").append(names[e]).append("_ms=NA max_").append(names[e]).append("_ms=NA");
        continue;
      }
      long t = events.get(e)[1];
      long[] lat = latencies(logs, s -> s < t + windowUs, en -> en > t);
      out.append(String.format(Locale.ROOT, " p99_%s_ms=%.1f max_%s_ms=%.1f", names[e],
          percentile(lat, 0.99) / 1000.0, names[e], (lat.length == 0 ? 0 : lat[lat.length - 1]) / 1000.0));
    }
    long first = events.isEmpty() ? Long.MAX_VALUE : events.get(0)[1];
    long[] base = latencies(logs, s -> true, en -> en < first);
    out.append(String.format(Locale.ROOT, " p99_base_ms=%.1f stall_base_ms=%.1f",
        percentile(base, 0.99) / 1000.0, baseStallUs(done, first) / 1000.0));
    return out.toString();
  }

  /**
   * The longest gap between consecutive completions {@code done[i], done[i+1]} with
   * {@code done[i+1] > t} and {@code done[i] < t + window}; when nothing completed after {@code t}
   * at all, the time from the last completion to the end of the window.
   */
  static long stallUs(long[] done, long t, long windowUs) {
    long worst = 0;
    int i = Arrays.binarySearch(done, t);
    i = i >= 0 ? i : -i - 1; // first completion at or after t
    if (i == done.length) {
      return (t + windowUs) - (done.length == 0 ? t : Math.min(t, done[done.length - 1]));
    }
    int from = Math.max(0, i - 1);
    for (int j = from; j + 1 < done.length && done[j] < t + windowUs; j++) {
      worst = Math.max(worst, done[j + 1] - done[j]);
    }
    if (i == 0) {
      worst = Math.max(worst, done[0] - t);
    }
    return worst;
  }

  /**
   * The longest gap between consecutive completions before {@code first} (the fault), the first
   * second of the run left out (connections opening, the JIT): what "no stall" looks like here.
   */
  static long baseStallUs(long[] done, long first) {
    long worst = 0;
    for (int j = 0; j + 1 < done.length && done[j + 1] < first; j++) {
      if (done[j] - done[0] >= 1_000_000) {
        worst = Math.max(worst, done[j + 1] - done[j]);
      }
    }
    return worst;
  }

  private interface Bound {
    boolean test(long us);
  }

  /** Sorted latencies (µs) of the requests whose start and end pass the two tests. */
  private static long[] latencies(Log[] logs, Bound start, Bound end) {
    long[] out = new long[16];
    int n = 0;
    for (Log l : logs) {
      for (int i = 0; i < l.n; i++) {
        if (start.test(l.start[i]) && end.test(l.end[i])) {
          if (n == out.length) {
            out = Arrays.copyOf(out, n * 2);
          }
          out[n++] = l.end[i] - l.start[i];
        }
      }
    }
    long[] sorted = Arrays.copyOf(out, n);
    Arrays.sort(sorted);
    return sorted;
  }

  static long percentile(long[] sorted, double q) {
    if (sorted.length == 0) {
      return 0;
    }
    int at = (int) Math.ceil(q * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, at))];
  }
}
