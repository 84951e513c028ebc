package raftsimple.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every raftsimplectl command, run as a real process through {@code deploy/raftsimplectl}, against
 * a TLS cluster that {@code deploy/local-cluster.sh start 3} started on free ports: writes and
 * reads, the log, status, failover to the next endpoint, exit statuses, chain verification (also
 * {@code deploy/verify-chain.sh}), membership changes with a client certificate, a node joined by
 * the script and read from at once, and a backup saved from the loaded cluster and restored into a
 * fresh single node that then has the same head and state, and {@code watch} printing the log
 * from an index and then entries as they commit ({@code cli/WatchCommandTest} covers its
 * reconnects against a fake server).
 */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class CliIT {
  @RegisterExtension final E2e e2e = new E2e();
  /** Entries written by 8 concurrent clients before the backup. */
  static final int LOAD_ENTRIES = 400;

  /** One run of the CLI: status, stdout, stderr. */
  record Run(List<String> args, int status, String out, String err) {
    @Override
    public String toString() {
      return "raftsimplectl " + String.join(" ", args) + " exited " + status + "\n--- stdout:\n" + out
          + "--- stderr:\n" + err;
    }

    JsonNode json() {
      return Api.tree(out.strip());
    }
  }

  private LocalClusterScript sh;
  private Path ca;
  private final List<String> common = new ArrayList<>();
  private int runs;

  /**
   * Runs raftsimplectl with the cluster's CA and n1..n3 as endpoints, then {@code args}: in this
   * JVM ({@code Ctl.run}, the same code as the jar's, a JVM start less per command), except where
   * {@link #process} runs the wrapper script itself.
   */
  private Run ctl(String... args) {
    List<String> all = new ArrayList<>(common);
    all.addAll(List.of(args));
    return inProcess(all);
  }

  private Run inProcess(List<String> args) {
    java.io.StringWriter out = new java.io.StringWriter();
    java.io.StringWriter err = new java.io.StringWriter();
    int status = raftsimple.cli.Ctl.run(args.toArray(new String[0]), new java.io.PrintWriter(out),
        new java.io.PrintWriter(err), Map.of());
    return new Run(args, status, out.toString(), err.toString());
  }

  /** Runs deploy/raftsimplectl {@code args} as a process (no common options). */
  private Run process(List<String> args) throws IOException, InterruptedException {
    Path out = e2e.dir().resolve("ctl-" + (++runs) + ".out");
    Path err = e2e.dir().resolve("ctl-" + runs + ".err");
    List<String> command = new ArrayList<>(List.of("bash",
        E2e.projectDir().resolve("deploy/raftsimplectl").toString()));
    command.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(command).directory(e2e.dir().toFile())
        .redirectOutput(out.toFile()).redirectError(err.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    pb.environment().keySet().removeIf(k -> k.startsWith("RAFTSIMPLE_"));
    pb.environment().put("JAR", E2e.jar().toString());
    Process p = pb.start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      throw new AssertionError("raftsimplectl " + args + " did not end within 120 s");
    }
    return new Run(args, p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8));
  }

  private Run ok(String... args) {
    Run r = ctl(args);
    assertEquals(0, r.status(), r.toString());
    return r;
  }

  private Run fails(int status, String... args) {
    Run r = ctl(args);
    assertEquals(status, r.status(), r.toString());
    return r;
  }

  private String url(int k) {
    return "https://127.0.0.1:" + sh.port(k);
  }

  @Test
  void everyCommandWorksAgainstATlsClusterStartedByTheScript() throws Exception {
    Tls.assumeOpenssl();
    sh = new LocalClusterScript(e2e.dir().resolve("run"), Ports.freeRange(5));
    boolean passed = false;
    try {
      sh.ok("start", "3");
      ca = sh.runDir.resolve("certs/ca.crt");
      common.addAll(List.of("--cacert", ca.toString(), "--endpoints", url(1) + "," + url(2) + "," + url(3)));
      Api api = new Api(Tls.trusting(ca));

      Phases phases = new Phases("CliIT");
      phases.mark("start 3");
      theWrapperScript();
      phases.mark("wrapper");
      writesAndReads();
      theLog(api);
      watch();
      statusAndFailover();
      phases.mark("writes, reads, log, status");
      verification();
      phases.mark("verify");
      membership();
      phases.mark("membership, join 4");
      backupAndRestore(api);
      phases.mark("backup and restore");

      String stopped = sh.ok("stop", "4");
      assertTrue(stopped.contains("n1: stopped, exit status 0"), stopped);
      phases.mark("stop");
      System.out.println(phases);
      passed = true;
    } finally {
      List<String> killed = sh.killLeftovers();
      if (!passed) {
        System.err.println("===== CliIT failed; node logs =====\n" + sh.logTails(40) + "(killed: " + killed + ")");
      }
    }
  }

  /** deploy/raftsimplectl as a process: its exit statuses, --version, --help and a write. */
  private void theWrapperScript() throws Exception {
    Run version = process(List.of("--version"));
    assertEquals(0, version.status(), version.toString());
    assertTrue(version.out().startsWith("raftsimplectl "), version.toString());
    Run help = process(List.of("put", "--help"));
    assertEquals(0, help.status(), help.toString());
    assertTrue(help.out().contains("hash-chained log"), "help says what raftsimple is: " + help);
    List<String> put = new ArrayList<>(common);
    put.addAll(List.of("put", "color", "blue"));
    Run written = process(put);
    assertEquals(0, written.status(), written.toString());
    assertEquals("committed", written.json().get("status").asText(), written.toString());
    assertEquals(2, process(List.of("frobnicate")).status());
    int dead = Ports.free(1)[0];
    Run none = process(List.of("--cacert", ca.toString(), "--endpoints", "https://127.0.0.1:" + dead, "head"));
    assertEquals(3, none.status(), none.toString());
    assertTrue(none.err().contains("no endpoint reachable: https://127.0.0.1:" + dead), none.toString());
  }

  private void writesAndReads() throws Exception {
    assertEquals("blue\n", ok("get", "color", "--linearizable").out());
    ok("put", "n", "42");
    JsonNode n = ok("get", "n", "--json").json();
    assertTrue(n.get("value").isInt(), "42 is stored as a number: " + n);

    Run refused = fails(1, "cas", "color", "red", "x");
    assertTrue(refused.err().contains("409 REJECTED"), refused.toString());
    assertEquals(true, ok("cas", "color", "blue", "green").json().at("/result/ok").asBoolean());
    JsonNode appended = ok("append", "events", "{\"n\":1}").json();
    assertEquals("[{\"n\":1}]", appended.at("/result/list").toString());
    assertEquals(42, ok("delete", "n").json().at("/result/prev").asInt());
    Run missing = fails(1, "get", "n", "--linearizable");
    assertTrue(missing.err().contains("not found"), missing.toString());
    ok("submit", "{\"op\":\"put\",\"key\":\"s\",\"value\":[1,2]}");
    assertEquals("[1,2]\n", ok("get", "s", "--linearizable").out());
    Run notJson = fails(2, "submit", "{nope");
    assertTrue(notJson.err().contains("not JSON"), notJson.toString());
    fails(2, "put", "onlyakey");
    fails(2, "frobnicate");
  }

  /**
   * {@code watch --from 1 --count N} prints the first N entries exactly as {@code log} does, one
   * JSON object per line, in order; a watch started at the head prints entries written after it
   * started, then exits 0 at its count.
   */
  private void watch() throws Exception {
    long length = ok("head").json().get("length").asLong();
    String[] logged = ok("log", "--from", "1", "--limit", Long.toString(length)).out().strip().split("\n");
    String[] watched = ok("watch", "--from", "1", "--count", Long.toString(length)).out().strip().split("\n");
    assertEquals(length, watched.length, String.join("\n", watched));
    for (int i = 0; i < watched.length; i++) {
      JsonNode w = Api.tree(watched[i]);
      assertEquals(i + 1, w.get("index").asLong(), watched[i]);
      assertEquals(Api.tree(logged[i]).get("hash"), w.get("hash"), "entry " + (i + 1) + " as log prints it");
    }
    java.util.concurrent.CompletableFuture<Run> live = java.util.concurrent.CompletableFuture.supplyAsync(
        () -> ctl("watch", "watched", "--from", Long.toString(length + 1), "--count", "2"));
    ok("put", "unwatched", "1");
    ok("put", "watched", "1");
    ok("put", "watched", "2");
    Run r = live.get(60, TimeUnit.SECONDS);
    assertEquals(0, r.status(), r.toString());
    String[] two = r.out().strip().split("\n");
    assertEquals(2, two.length, r.toString());
    assertTrue(Api.tree(two[0]).get("index").asLong() > length + 1, "the other key's entry is filtered out: " + r);
    assertTrue(Api.tree(two[0]).get("index").asLong() < Api.tree(two[1]).get("index").asLong(), r.toString());
  }

  private void theLog(Api api) throws Exception {
    JsonNode head = ok("head").json();
    long length = head.get("length").asLong();
    assertTrue(length >= 6, "six entries were committed: " + head);
    Api.Resp viaApi = api.get(URI.create(url(1)), "/log?from=2&limit=3");
    String[] lines = ok("log", "--from", "2", "--limit", "3").out().strip().split("\n");
    assertEquals(3, lines.length, String.join("\n", lines));
    for (int i = 0; i < 3; i++) {
      assertEquals(viaApi.json().get("entries").get(i), Api.tree(lines[i]), "log prints GET /log's entries");
    }
  }

  private void statusAndFailover() throws Exception {
    Run table = ok("status");
    for (int k = 1; k <= 3; k++) {
      assertTrue(Pattern.compile("(?m)^n" + k + "( \\*)?\\s+voter\\s+yes").matcher(table.out()).find(), table.toString());
    }
    JsonNode status = Await.until("every member reachable in status --json", Duration.ofSeconds(30),
        () -> ok("status", "--json").json(),
        s -> s.get("members").size() == 3 && allReachable(s));
    for (JsonNode m : status.get("members")) {
      assertTrue(m.get("lag").asLong() >= 0, status.toString());
    }

    int dead = Ports.free(1)[0];
    List<String> failover = List.of("--cacert", ca.toString(), "--endpoints",
        "https://127.0.0.1:" + dead + "," + url(2), "head");
    Run moved = inProcess(failover);
    assertEquals(0, moved.status(), moved.toString());
    assertEquals("n2", moved.json().get("nodeId").asText(), moved.toString());
    Run untrusted = inProcess(List.of("--endpoints", url(1), "head"));
    assertEquals(3, untrusted.status(), "without the CA the TLS handshake fails: " + untrusted);
    assertTrue(untrusted.err().contains("TLS handshake failed"), untrusted.toString());
  }

  private static boolean allReachable(JsonNode status) {
    for (JsonNode m : status.get("members")) {
      if (!m.get("reachable").asBoolean()) {
        return false;
      }
    }
    return true;
  }

  private void verification() throws Exception {
    Run verified = ok("verify");
    assertTrue(verified.out().contains("chain OK"), verified.toString());

    Path script = E2e.projectDir().resolve("deploy/verify-chain.sh");
    assertEquals(0, script(script, url(3), ca.toString()).status());
    Run noCa = script(script, url(3));
    assertEquals(3, noCa.status(), noCa.toString());
    assertTrue(noCa.err().contains("TLS handshake failed"), noCa.toString());
    assertFalse(noCa.err().contains("\tat "), "no stack trace: " + noCa);
    Run missingCa = script(script, url(3), e2e.dir().resolve("nope.crt").toString());
    assertEquals(2, missingCa.status(), missingCa.toString());
    assertTrue(missingCa.err().contains("nope.crt: no such file"), missingCa.toString());
  }

  private Run script(Path script, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("bash", script.toString()));
    command.addAll(List.of(args));
    Path out = e2e.dir().resolve("vc-" + (++runs) + ".out");
    Path err = e2e.dir().resolve("vc-" + runs + ".err");
    ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
    pb.environment().put("JAR", E2e.jar().toString());
    Process p = pb.start();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "verify-chain.sh did not end");
    return new Run(List.of(args), p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8));
  }

  /**
   * members add/promote/remove with n1's certificate (and refused without one); a node joined by
   * the script serves what was committed as soon as the script says it joined.
   */
  private void membership() throws Exception {
    Path certs = sh.runDir.resolve("certs");
    Run forbidden = fails(1, "members", "add", "n5", url(5), "--read-only");
    assertTrue(forbidden.err().contains("403 FORBIDDEN"), forbidden.toString());

    String[] member = {"--cert", certs.resolve("n1.crt").toString(), "--key", certs.resolve("n1.key").toString()};
    JsonNode added = ok(cat(member, "members", "add", "n5", url(5), "--read-only")).json();
    assertEquals("read-only", role(added, "n5"), added.toString());
    JsonNode promoted = ok(cat(member, "members", "promote", "n5")).json();
    assertEquals("voter", role(promoted, "n5"), promoted.toString());
    JsonNode removed = ok(cat(member, "members", "remove", "n5")).json();
    assertEquals(null, role(removed, "n5"), removed.toString());
    Run gone = fails(1, cat(member, "members", "promote", "n5"));
    assertTrue(gone.err().contains("not a member"), gone.toString());

    String joined = sh.ok("join", "4", "read-only");
    assertTrue(joined.contains("n4: joined as read-only and ready"), joined);
    Run read = inProcess(List.of("--cacert", ca.toString(), "--endpoints", url(4), "get", "color"));
    assertEquals("green\n", read.out(), "read at once from the node that just joined: " + read);
  }

  private static String[] cat(String[] first, String... rest) {
    List<String> all = new ArrayList<>(List.of(first));
    all.addAll(List.of(rest));
    return all.toArray(new String[0]);
  }

  private static String role(JsonNode membership, String id) {
    for (JsonNode m : membership.get("members")) {
      if (m.get("id").asText().equals(id)) {
        return m.get("role").asText();
      }
    }
    return null;
  }

  /**
   * Loads the cluster (writes stop before the backup, so the state at the snapshot is the state
   * now), saves a snapshot from it, restores it into a fresh single node of another CA's
   * certificates, and checks that node's head, state and chain.
   */
  private void backupAndRestore(Api api) throws Exception {
    Map<String, String> written = new java.util.concurrent.ConcurrentSkipListMap<>();
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
    try {
      List<java.util.concurrent.Future<?>> done = new ArrayList<>();
      for (int i = 0; i < LOAD_ENTRIES; i++) {
        int n = i;
        done.add(pool.submit(() -> {
          String key = "load-" + n;
          String payload = "{\"op\":\"put\",\"key\":\"" + key + "\",\"value\":" + (n * 7) + "}";
          Api.Resp r = api.submit(URI.create(url(1 + n % 3)), payload);
          assertEquals(201, r.status(), r.toString());
          written.put(key, Integer.toString(n * 7));
          return null;
        }));
      }
      for (java.util.concurrent.Future<?> f : done) {
        f.get(120, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    JsonNode before = ok("head").json();

    Path backup = e2e.dir().resolve("backup.snap");
    Run saved = ok("snapshot", "save", backup.toString());
    Matcher m = Pattern.compile("entries 1\\.\\.(\\d+), head ([0-9a-f]{64})").matcher(saved.out());
    assertTrue(m.find(), saved.toString());
    long length = Long.parseLong(m.group(1));
    String head = m.group(2);
    assertTrue(saved.out().contains("head matches the log"), saved.toString());
    assertTrue(length >= before.get("length").asLong(), "the snapshot covers what was applied: " + saved);
    fails(2, "snapshot", "save", backup.toString()); // never overwrites

    int port = Ports.free(1)[0];
    Path dataDir = e2e.dir().resolve("restored");
    Run restored = ok("snapshot", "restore", backup.toString(), "--data-dir", dataDir.toString(),
        "--node-id", "n5", "--url", "https://127.0.0.1:" + port, "--head", head);
    assertTrue(restored.err().contains("verifying"), "progress output: " + restored);
    Run again = fails(2, "snapshot", "restore", backup.toString(), "--data-dir", dataDir.toString(),
        "--node-id", "n5");
    assertTrue(again.err().contains("not empty"), again.toString());
    Run wrongHead = fails(1, "snapshot", "restore", backup.toString(), "--data-dir",
        e2e.dir().resolve("other").toString(), "--node-id", "n5", "--head", "00".repeat(32));
    assertTrue(wrongHead.err().contains("has head " + head), wrongHead.toString());

    ObjectNode extra = Api.JSON.createObjectNode().put("dataDir", dataDir.toString());
    NodeProcess fresh = e2e.node("n5", port, List.of(), extra).start().awaitReady();
    Api.Resp h = e2e.api().get(fresh.url, "/head");
    assertEquals(length, h.num("length"), h.toString());
    assertEquals(head, h.str("head"), h.toString());
    for (Map.Entry<String, String> e : written.entrySet()) {
      Api.Resp kv = e2e.api().get(fresh.url, "/kv/" + e.getKey());
      assertEquals(200, kv.status(), kv.toString());
      assertEquals(e.getValue(), kv.json().get("value").toString(), kv.toString());
    }
    assertEquals("\"green\"", e2e.api().get(fresh.url, "/kv/color").json().get("value").toString());
    Api.Resp cluster = e2e.api().get(fresh.url, "/cluster");
    assertEquals(1, cluster.json().get("members").size(), "the restored node is alone: " + cluster);
    assertEquals(201, e2e.api().submit(fresh.url, "{\"op\":\"put\",\"key\":\"after\",\"value\":1}").status());
  }
}
