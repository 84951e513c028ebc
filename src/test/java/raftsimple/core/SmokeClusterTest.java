package raftsimple.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import raftsimple.core.msg.Effects;
import raftsimple.core.msg.Input;
import raftsimple.core.msg.Message;

/** A lossless, instant network: the smallest check that round 0, collisions and recovery converge. */
class SmokeClusterTest {
  private final Map<String, Node> nodes = new TreeMap<>();
  private final ArrayDeque<Message> wire = new ArrayDeque<>();
  private long now = 1;

  private void start(int n) {
    List<String> ids = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      ids.add("n" + i);
    }
    for (String id : ids) {
      Node node = new Node(NodeSettings.of(id, ids, 1500), new DurableState(), id.hashCode());
      nodes.put(id, node);
      run(node, node.step(new Input.Tick(now)));
    }
  }

  /** Carries out effects with an instant fsync: durable at once, then the waiting messages. */
  private void run(Node node, Effects fx) {
    wire.addAll(fx.sendNow);
    if (!fx.persist.isEmpty()) {
      long n = issued.merge(node.nodeId(), (long) fx.persist.size(), Long::sum);
      run(node, node.step(new Input.Persisted(n)));
    }
    wire.addAll(fx.sendAfterPersist);
  }

  private final Map<String, Long> issued = new TreeMap<>();

  private void submit(String id, String payload) {
    Node n = nodes.get(id);
    run(n, n.step(new Input.Submit(1, 1000, payload.getBytes(StandardCharsets.UTF_8), null)));
  }

  private void deliverAll() {
    int steps = 0;
    while (!wire.isEmpty() && steps++ < 100_000) {
      Message m = wire.pollFirst();
      Node to = nodes.get(m.to());
      run(to, to.step(new Input.Receive(m)));
    }
  }

  private void tick(long ms) {
    for (long t = 0; t < ms; t += 10) {
      now += 10;
      for (Node n : nodes.values()) {
        run(n, n.step(new Input.Tick(now)));
      }
      deliverAll();
    }
  }

  @Test
  void oneProposerCommitsOnEveryNode() {
    start(3);
    submit("n1", "{\"a\":1}");
    deliverAll();
    for (Node n : nodes.values()) {
      assertEquals(1, n.length(), n.nodeId());
      assertEquals(nodes.get("n1").head(), n.head());
    }
  }

  @Test
  void threeSimultaneousProposersAllCommit() {
    start(3);
    submit("n1", "{\"a\":1}");
    submit("n2", "{\"b\":2}");
    submit("n3", "{\"c\":3}");
    deliverAll();
    for (Node n : nodes.values()) {
      // A split vote is resolved at once by the lowest proposer, without a head timeout (H4).
      assertEquals(3, n.length(), n.nodeId() + " " + n.marks().snapshot());
      assertEquals(nodes.get("n1").head(), n.head());
    }
    assertEquals(1, nodes.get("n1").marks().count("H4.coordinate-split"));
    tick(5_000);
    for (Node n : nodes.values()) {
      assertEquals(3, n.length(), n.nodeId() + " " + n.marks().snapshot());
      assertEquals(nodes.get("n1").head(), n.head());
    }
  }

  @Test
  void singleNodeCommitsAlone() {
    start(1);
    submit("n1", "{\"a\":1}");
    submit("n1", "{\"a\":2}");
    assertEquals(2, nodes.get("n1").length());
  }
}
