package raftsimple.cli;

import java.io.IOException;
import java.io.InputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code watch}: prints committed entries as they commit, one JSON object a line, the same as
 * {@code log} prints ({@code watch [KEY [--prefix]]}). A client of {@code GET
 * /watch?from=<index>[&key=K|&prefix=P]}, a
 * Server-Sent Events stream whose events carry one {@code GET /log} entry each, with the entry's
 * index as the event id. When the stream breaks (the node stopped, the connection dropped, or the
 * node cut off a consumer that was too slow), it reconnects, to the next endpoint if need be, with
 * {@code Last-Event-ID} set to the last index printed, so every entry is printed once and in
 * order; it gives up (exit 3) after {@code --retry-for} seconds without a stream.
 */
@Command(name = "watch", mixinStandardHelpOptions = true,
    description = "Prints committed entries as they commit, one JSON object a line (as `log` "
        + "prints them), reconnecting (to the next endpoint if need be) without losing or "
        + "repeating one. Exit 1 when FROM is below the first retained entry.")
final class WatchCommand extends CtlCommand {
  static final long BACKOFF_MS_MIN = 100;
  static final long BACKOFF_MS_MAX = 2_000;

  @Option(names = "--from", paramLabel = "INDEX",
      description = "first index to print (default: the next entry to commit)")
  Long from;

  @Parameters(index = "0", arity = "0..1", paramLabel = "KEY",
      description = "only entries of this key-value key (with --prefix: of keys starting so)")
  String key;

  @Option(names = "--prefix", description = "KEY is a prefix")
  boolean prefix;

  @Option(names = "--count", paramLabel = "N", defaultValue = "0",
      description = "exit 0 after N entries (default: watch until interrupted)")
  long count;

  @Option(names = "--retry-for", paramLabel = "SECONDS", defaultValue = "60",
      description = "give up (exit 3) after this long without a stream (default: ${DEFAULT-VALUE})")
  int retryForSeconds;

  @Option(names = "--idle-timeout", paramLabel = "SECONDS", defaultValue = "60",
      description = "reconnect when nothing, not even a keep-alive, came for this long "
          + "(default: ${DEFAULT-VALUE})")
  int idleTimeoutSeconds;

  Pause pause = Pause.REAL;

  @Override
  public Integer call() {
    if (prefix && key == null) {
      throw CtlException.usage("--prefix needs a KEY to be the prefix");
    }
    if (count < 0 || retryForSeconds < 1 || idleTimeoutSeconds < 1) {
      throw CtlException.usage("--count must be >= 0, --retry-for and --idle-timeout >= 1");
    }
    long next = from != null ? from : nextToCommit();
    if (next < 1) {
      throw CtlException.usage("--from must be at least 1");
    }
    ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "raftsimplectl-watch-idle");
      t.setDaemon(true);
      return t;
    });
    try {
      return watch(next, watchdog);
    } finally {
      watchdog.shutdownNow();
    }
  }

  private long nextToCommit() {
    return ClusterClient.json(ClusterClient.ok(client().get("/head"))).path("length").asLong() + 1;
  }

  private int watch(long first, ScheduledExecutorService watchdog) {
    long next = first;
    String lastId = null;
    long printed = 0;
    long backoff = BACKOFF_MS_MIN;
    long failingSince = -1;
    while (true) {
      ClusterClient.Response<InputStream> r = null;
      String problem;
      try {
        r = lastId == null
            ? client().stream(path(next), Duration.ofSeconds(ctl().timeoutSeconds), "Accept", "text/event-stream")
            : client().stream(path(next), Duration.ofSeconds(ctl().timeoutSeconds), "Accept", "text/event-stream",
                "Last-Event-ID", lastId);
      } catch (CtlException unreachable) {
        if (unreachable.exitCode() != ExitCodes.UNREACHABLE) {
          throw unreachable;
        }
        problem = unreachable.getMessage();
        r = null;
      }
      if (r != null && r.status() == 200) {
        failingSince = -1;
        backoff = BACKOFF_MS_MIN;
        Stream s = read(r, next, lastId, printed, watchdog);
        next = s.next;
        lastId = s.lastId;
        printed = s.printed;
        if (s.done) {
          return ExitCodes.OK;
        }
        problem = "the stream from " + r.endpoint() + " ended (" + s.why + ")";
      } else if (r != null) {
        byte[] body = readAll(r.body());
        if (r.status() < 500) {
          throw CtlException.refused(r.status() == 404 && body.length == 0
              ? r.endpoint() + " has no /watch"
              : ClusterClient.refusal(r.endpoint(), r.status(), body));
        }
        problem = ClusterClient.refusal(r.endpoint(), r.status(), body);
      } else if (failingSince < 0) {
        problem = "no endpoint reachable";
      } else {
        problem = "still no endpoint reachable";
      }
      long now = System.nanoTime();
      if (failingSince < 0) {
        failingSince = now;
      } else if (now - failingSince > TimeUnit.SECONDS.toNanos(retryForSeconds)) {
        throw new CtlException(ExitCodes.UNREACHABLE, "watch gave up after " + retryForSeconds
            + " s without a stream: " + problem);
      }
      err().println("raftsimplectl: watch: " + problem + "; reconnecting from index " + next
          + " in " + backoff + " ms");
      err().flush();
      pause.pause(backoff);
      backoff = Math.min(BACKOFF_MS_MAX, backoff * 2);
    }
  }

  /** Where one stream left off. */
  private record Stream(long next, String lastId, long printed, boolean done, String why) {}

  private Stream read(ClusterClient.Response<InputStream> r, long next, String lastId, long printed,
      ScheduledExecutorService watchdog) {
    AtomicLong lastLine = new AtomicLong(System.nanoTime());
    InputStream body = r.body();
    long idleNanos = TimeUnit.SECONDS.toNanos(idleTimeoutSeconds);
    var check = watchdog.scheduleAtFixedRate(() -> {
      if (System.nanoTime() - lastLine.get() > idleNanos) {
        close(body);
      }
    }, 1, 1, TimeUnit.SECONDS);
    SseReader sse = new SseReader(body, () -> lastLine.set(System.nanoTime()));
    String why = "end of stream";
    try (body) {
      for (SseReader.Event e = sse.next(); e != null; e = sse.next()) {
        if (!e.type().equals("message")) {
          err().println("raftsimplectl: watch: " + r.endpoint() + " sent '" + e.type() + "': " + e.data());
          err().flush();
          continue;
        }
        out().println(e.data());
        out().flush();
        printed++;
        lastId = e.id();
        next = nextAfter(e.id(), next);
        if (count > 0 && printed >= count) {
          return new Stream(next, lastId, printed, true, null);
        }
      }
    } catch (IOException e) {
      why = System.nanoTime() - lastLine.get() > idleNanos
          ? "nothing for " + idleTimeoutSeconds + " s" : ClusterClient.describe(e);
    } finally {
      check.cancel(false);
    }
    return new Stream(next, lastId, printed, false, why);
  }

  /** The index after event id {@code id} (the index of the entry it carried). */
  static long nextAfter(String id, long next) {
    try {
      return id == null ? next : Long.parseLong(id) + 1;
    } catch (NumberFormatException e) {
      return next;
    }
  }

  String path(long next) {
    return "/watch?from=" + next
        + (key == null ? "" : (prefix ? "&prefix=" : "&key=")
            + URLEncoder.encode(key, StandardCharsets.UTF_8));
  }

  private static byte[] readAll(InputStream in) {
    try (in) {
      return in.readNBytes(64 * 1024);
    } catch (IOException e) {
      return new byte[0];
    }
  }

  private static void close(InputStream in) {
    try {
      in.close();
    } catch (IOException ignored) {
      // closing is all we want; a failure to close changes nothing
    }
  }
}
