package raftsimple.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Endpoint failover: which failures move to the next endpoint, and what the CLI says when none answers. */
class ClusterClientTest {
  private static ClusterClient client(String... urls) {
    return new ClusterClient(Endpoints.parse(String.join(",", urls), "test"), null, Duration.ofSeconds(5));
  }

  @Test
  void aRefusedConnectionMovesToTheNextEndpointWhichStaysCurrent() {
    String dead = FakeNode.deadUrl();
    try (FakeNode n = new FakeNode().json("/head", 200, CtlTest.HEAD)) {
      ClusterClient c = client(dead, n.url());
      ClusterClient.Response<byte[]> r = c.get("/head");
      assertEquals(URI.create(n.url()), r.endpoint());
      assertEquals(200, r.status());
      assertEquals(URI.create(n.url()), c.current());
      c.get("/head");
      assertEquals(2, n.requests.size(), "the second request went straight to the live endpoint");
    }
  }

  @Test
  void noEndpointReachableIsStatus3NamingEachAndWhy() {
    String a = FakeNode.deadUrl();
    String b = FakeNode.deadUrl();
    CtlException e = assertThrows(CtlException.class, () -> client(a, b).get("/head"));
    assertEquals(ExitCodes.UNREACHABLE, e.exitCode());
    assertTrue(e.getMessage().startsWith("no endpoint reachable: " + a + ": "), e.getMessage());
    assertTrue(e.getMessage().contains("; " + b + ": "), e.getMessage());
    FakeNode.Run viaCli = FakeNode.ctl("--endpoints", a + "," + b, "head");
    assertEquals(3, viaCli.status());
  }

  @Test
  void anHttpErrorIsAnAnswerNotAFailover() {
    try (FakeNode first = new FakeNode().json("/head", 503, "{\"error\":\"busy\",\"code\":\"UNAVAILABLE\"}");
        FakeNode second = new FakeNode().json("/head", 200, CtlTest.HEAD)) {
      ClusterClient.Response<byte[]> r = client(first.url(), second.url()).get("/head");
      assertEquals(503, r.status());
      assertEquals(0, second.requests.size());
    }
  }

  /** A node that reads the request and drops the connection without answering. */
  private static FakeNode dropping(AtomicInteger seen) {
    return new FakeNode().on("/entries", x -> {
      x.getRequestBody().readAllBytes();
      seen.incrementAndGet();
      x.close();
    });
  }

  @Test
  void aWriteWithAnIdempotencyKeyIsRepeatedElsewhereAfterABrokenAnswer() {
    AtomicInteger seen = new AtomicInteger();
    try (FakeNode broken = dropping(seen); FakeNode good = new FakeNode().json("/entries", 201, "{}")) {
      ClusterClient.Response<byte[]> r = client(broken.url(), good.url())
          .postJson("/entries", "{}".getBytes(StandardCharsets.UTF_8), "key-1");
      assertEquals(201, r.status());
      assertEquals(1, seen.get());
    }
  }

  @Test
  void aWriteWithoutOneIsNotRepeatedAfterItMayHaveArrived() {
    AtomicInteger seen = new AtomicInteger();
    try (FakeNode broken = dropping(seen); FakeNode good = new FakeNode().json("/entries", 201, "{}")) {
      CtlException e = assertThrows(CtlException.class, () -> client(broken.url(), good.url())
          .postJson("/entries", "{}".getBytes(StandardCharsets.UTF_8), null));
      assertEquals(ExitCodes.UNREACHABLE, e.exitCode());
      assertTrue(e.getMessage().contains("may or may not have taken effect"), e.getMessage());
      assertEquals(List.of(), good.requests);
    }
  }
}
