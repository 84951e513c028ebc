package raftsimple.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static raftsimple.cli.FakeNode.ctl;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import raftsimple.build.BuildInfo;

/** Argument parsing, exit statuses and what each command sends and prints, against a fake node. */
class CtlTest {
  static final String HEAD = "{\"head\":\"" + "ab".repeat(32) + "\",\"length\":7,\"nodeId\":\"n2\"}";

  @Test
  void usageErrorsExit2NamingTheProblem() {
    FakeNode.Run none = ctl();
    assertEquals(2, none.status());
    assertTrue(none.err().contains("name a command"), none.err());
    FakeNode.Run unknown = ctl("frobnicate");
    assertEquals(2, unknown.status());
    assertTrue(unknown.err().contains("frobnicate"), unknown.err());
    FakeNode.Run missing = ctl("put", "k");
    assertEquals(2, missing.status());
    assertTrue(missing.err().contains("VALUE"), missing.err());
    assertEquals(2, ctl("log", "--from", "x").status());
    FakeNode.Run badUrl = ctl("--endpoints", "ftp://h:1", "head");
    assertEquals(2, badUrl.status());
    assertTrue(badUrl.err().contains("'ftp://h:1' is not http(s)://host[:port]"), badUrl.err());
    FakeNode.Run half = ctl("--cert", "a.crt", "head");
    assertEquals(2, half.status());
    assertTrue(half.err().contains("--cert and --key go together"), half.err());
    FakeNode.Run noCa = ctl("--cacert", "/nonexistent/ca.crt", "head");
    assertEquals(2, noCa.status());
    assertTrue(noCa.err().contains("/nonexistent/ca.crt: no such file"), noCa.err());
    assertEquals(2, ctl("--timeout", "0", "head").status());
    FakeNode.Run notJson = ctl("submit", "{oops");
    assertEquals(2, notJson.status());
    assertTrue(notJson.err().contains("the entry is not JSON"), notJson.err());
    assertEquals(2, ctl("put", "k", "null").status(), "null is not a value (use delete)");
  }

  @Test
  void versionAndHelpExit0AndSayWhatRaftsimpleIs() {
    FakeNode.Run v = ctl("--version");
    assertEquals(0, v.status());
    assertEquals("raftsimplectl " + BuildInfo.current().describe(), v.out().strip());
    for (List<String> help : List.of(List.of("--help"), List.of("get", "--help"),
        List.of("members", "add", "--help"), List.of("snapshot", "restore", "--help"))) {
      FakeNode.Run h = ctl(help.toArray(new String[0]));
      assertEquals(0, h.status(), help.toString());
      assertTrue(h.out().contains("hash-chained log"), help + ": " + h.out());
      assertTrue(h.out().contains("Exit status: 0 done; 1 refused"), help + ": " + h.out());
    }
  }

  @Test
  void connectionOptionsWorkBeforeOrAfterTheCommandAndFromTheEnvironment() {
    try (FakeNode n = new FakeNode().json("/head", 200, HEAD)) {
      assertEquals(HEAD, ctl("--endpoints", n.url(), "head").out().strip());
      assertEquals(HEAD, ctl("head", "--endpoints", n.url()).out().strip());
      assertEquals(HEAD, ctl(Map.of(Endpoints.ENV, n.url()), "head").out().strip());
    }
  }

  @Test
  void putSendsJsonWhenTheValueParsesAndAStringOtherwise() {
    List<String> bodies = new java.util.concurrent.CopyOnWriteArrayList<>();
    List<String> keys = new java.util.concurrent.CopyOnWriteArrayList<>();
    try (FakeNode n = new FakeNode().on("/entries", x -> {
      bodies.add(new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
      keys.add(x.getRequestHeaders().getFirst("Idempotency-Key"));
      FakeNode.reply(x, 201, "{\"txid\":\"t\",\"index\":1,\"status\":\"committed\",\"result\":{\"prev\":null}}");
    })) {
      for (String v : List.of("42", "blue", "{\"a\":[1]}", "\"7\"", "hello world")) {
        FakeNode.Run r = ctl("--endpoints", n.url(), "put", "k", v);
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("\"index\":1"), r.out());
      }
      ctl("--endpoints", n.url(), "cas", "k", "null", "1");
      assertEquals(List.of(
          "{\"op\":\"put\",\"key\":\"k\",\"value\":42}",
          "{\"op\":\"put\",\"key\":\"k\",\"value\":\"blue\"}",
          "{\"op\":\"put\",\"key\":\"k\",\"value\":{\"a\":[1]}}",
          "{\"op\":\"put\",\"key\":\"k\",\"value\":\"7\"}",
          "{\"op\":\"put\",\"key\":\"k\",\"value\":\"hello world\"}",
          "{\"op\":\"cas\",\"key\":\"k\",\"expect\":null,\"value\":1}"), bodies);
      assertEquals(6, keys.stream().distinct().filter(k -> k != null && k.startsWith("raftsimplectl-")).count(),
          "each write has its own idempotency key: " + keys);
    }
  }

  @Test
  void getPrintsTheValueAndExits1WhenNotFound() {
    try (FakeNode n = new FakeNode()
        .json("/kv/color", 200, "{\"key\":\"color\",\"value\":\"blue\",\"index\":3}")
        .json("/kv/obj", 200, "{\"key\":\"obj\",\"value\":{\"a\":1},\"index\":3}")
        .json("/kv/gone", 404, "{\"error\":\"no key\",\"code\":\"NOT_FOUND\"}")
        .json("/kv/a b", 200, "{\"key\":\"a b\",\"value\":1,\"index\":3}")) {
      assertEquals("blue\n", ctl("--endpoints", n.url(), "get", "color").out());
      assertEquals("{\"a\":1}\n", ctl("--endpoints", n.url(), "get", "obj").out());
      assertEquals("1\n", ctl("--endpoints", n.url(), "get", "a b").out());
      assertTrue(n.requests.contains("GET /kv/a%20b"), "a space is %20 in the path: " + n.requests);
      FakeNode.Run gone = ctl("--endpoints", n.url(), "get", "gone");
      assertEquals(1, gone.status());
      assertTrue(gone.err().contains("key \"gone\" not found"), gone.err());
      ctl("--endpoints", n.url(), "get", "color", "--linearizable");
      assertTrue(n.requests.contains("GET /kv/color?consistency=linearizable"), n.requests.toString());
    }
  }

  @Test
  void aRefusalExits1WithTheCodeAndTheEndpoint() {
    try (FakeNode n = new FakeNode()
        .json("/entries", 409, "{\"error\":\"cas failed\",\"code\":\"REJECTED\"}")
        .json("/log", 410, "{\"error\":\"compacted\",\"code\":\"COMPACTED\",\"firstIndex\":501}")) {
      FakeNode.Run r = ctl("--endpoints", n.url(), "cas", "k", "1", "2");
      assertEquals(1, r.status());
      assertEquals("raftsimplectl: " + n.url() + " answered 409 REJECTED: cas failed", r.err().strip());
      FakeNode.Run log = ctl("--endpoints", n.url(), "log");
      assertEquals(1, log.status());
      assertTrue(log.err().contains("410 COMPACTED: compacted (firstIndex 501)"), log.err());
    }
  }

  @Test
  void logPagesThroughAThousandAtATime() {
    try (FakeNode n = new FakeNode().on("/log", x -> {
      String q = x.getRequestURI().getQuery();
      long from = Long.parseLong(q.replaceAll(".*from=(\\d+).*", "$1"));
      int limit = Integer.parseInt(q.replaceAll(".*limit=(\\d+).*", "$1"));
      StringBuilder sb = new StringBuilder("{\"entries\":[");
      for (long i = from; i < from + limit && i <= 2500; i++) {
        sb.append(i == from ? "" : ",").append("{\"index\":").append(i).append('}');
      }
      FakeNode.reply(x, 200, sb.append("],\"length\":2500}").toString());
    })) {
      FakeNode.Run r = ctl("--endpoints", n.url(), "log", "--from", "2", "--limit", "2400");
      String[] lines = r.out().strip().split("\n");
      assertEquals(2400, lines.length);
      assertEquals("{\"index\":2}", lines[0]);
      assertEquals("{\"index\":2401}", lines[2399]);
      assertEquals(List.of("GET /log?from=2&limit=1000", "GET /log?from=1002&limit=1000",
          "GET /log?from=2002&limit=400"), n.requests);
    }
  }

  @Test
  void statusShowsLagAgainstTheLongestLog() {
    String cluster = "{\"nodeId\":\"n1\",\"members\":["
        + "{\"id\":\"n1\",\"url\":\"https://a:1\",\"role\":\"voter\",\"head\":\"" + "aa".repeat(32) + "\",\"length\":10,\"reachable\":true},"
        + "{\"id\":\"n2\",\"url\":\"https://b:1\",\"role\":\"voter\",\"head\":\"" + "bb".repeat(32) + "\",\"length\":7,\"reachable\":false},"
        + "{\"id\":\"n3\",\"url\":\"https://c:1\",\"role\":\"read-only\"}]}";
    try (FakeNode n = new FakeNode().json("/cluster", 200, cluster)) {
      String table = ctl("--endpoints", n.url(), "status").out();
      assertTrue(table.matches("(?s).*n1 \\*\\s+voter\\s+yes\\s+10\\s+0\\s+aaaaaaaaaaaaaaaa\\s+https://a:1.*"), table);
      assertTrue(table.matches("(?s).*n2\\s+voter\\s+NO\\s+7\\s+3\\s+bbbbbbbbbbbbbbbb\\s+https://b:1.*"), table);
      assertTrue(table.matches("(?s).*n3\\s+read-only\\s+NO\\s+\\?\\s+\\?.*"), table);
      String json = ctl("--endpoints", n.url(), "status", "--json").out();
      assertTrue(json.contains("{\"id\":\"n2\",\"url\":\"https://b:1\",\"role\":\"voter\",\"length\":7,\"lag\":3,"), json);
    }
  }

  @Test
  void promoteLooksUpTheMembersUrlAndAsksForAVoter() {
    List<String> bodies = new java.util.concurrent.CopyOnWriteArrayList<>();
    try (FakeNode n = new FakeNode()
        .json("/cluster", 200, "{\"nodeId\":\"n1\",\"members\":[{\"id\":\"n4\",\"url\":\"https://d:4\",\"role\":\"read-only\"}]}")) {
      n.on("/cluster/members", x -> {
        bodies.add(new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
        FakeNode.reply(x, 201, "{\"membership\":{\"version\":2,\"members\":[]}}");
      });
      FakeNode.Run r = ctl("--endpoints", n.url(), "members", "promote", "n4");
      assertEquals(0, r.status(), r.err());
      assertEquals("{\"version\":2,\"members\":[]}", r.out().strip());
      assertEquals(List.of("{\"id\":\"n4\",\"url\":\"https://d:4\",\"role\":\"voter\"}"), bodies);
      FakeNode.Run unknown = ctl("--endpoints", n.url(), "members", "promote", "n9");
      assertEquals(1, unknown.status());
      assertTrue(unknown.err().contains("n9 is not a member"), unknown.err());
    }
  }
}
