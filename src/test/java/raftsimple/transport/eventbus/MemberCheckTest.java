package raftsimple.transport.eventbus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import raftsimple.transport.eventbus.MemberCheck.Severity;

/** The audit's judgement of one member, case by case (docs/TRANSPORTS.md §3.4). */
class MemberCheckTest {
  private static final ClusterIdentity SELF = new ClusterIdentity("n1", "aaaaaaaaaaaaaaaa");
  private static final InetSocketAddress N2 = new InetSocketAddress("127.0.0.1", 5702);
  private static final InetSocketAddress ELSEWHERE = new InetSocketAddress("127.0.0.1", 5999);
  private final MemberCheck check = new MemberCheck(SELF, Set.of("n2", "n3"), Set.of(N2));

  private static Map<String, String> announcing(String node, String cluster) {
    return new HashMap<>(new ClusterIdentity(node, cluster).attributes());
  }

  private MemberCheck.Finding judge(InetSocketAddress a, Map<String, String> attributes) {
    return check.judge(a, attributes);
  }

  @Test
  void aListedPeerOfThisCluster_isExpected() {
    assertEquals(Severity.OK, judge(N2, announcing("n2", SELF.clusterId())).severity());
  }

  @Test
  void aPeerFromAnUnlistedAddress_isAStranger_notAConflict() {
    MemberCheck.Finding f = judge(ELSEWHERE, announcing("n2", SELF.clusterId()));
    assertEquals(Severity.STRANGER, f.severity());
    assertTrue(f.text().contains("not in eventbus.members"), f.text());
  }

  @Test
  void aMemberWithoutAttributes_isAStranger() {
    assertEquals(Severity.STRANGER, judge(N2, Map.of()).severity());
    assertEquals(Severity.STRANGER, judge(N2, Map.of("__vertx.nodeId", "x")).severity());
  }

  @Test
  void anIdThatIsNotAPeer_isAStranger() {
    assertEquals(Severity.STRANGER, judge(N2, announcing("n9", SELF.clusterId())).severity());
  }

  @Test
  void aSecondNodeWithThisNodesId_isAConflict() {
    MemberCheck.Finding f = judge(N2, announcing("n1", SELF.clusterId()));
    assertEquals(Severity.CONFLICT, f.severity());
    assertTrue(f.text().contains("own id"), f.text());
  }

  @Test
  void aPeerOfAnotherCluster_isAConflict() {
    MemberCheck.Finding f = judge(N2, announcing("n2", "bbbbbbbbbbbbbbbb"));
    assertEquals(Severity.CONFLICT, f.severity());
    assertTrue(f.text().contains("belongs to cluster bbbbbbbbbbbbbbbb"), f.text());
  }

  @Test
  void aPeerWithAnotherTransportOrWireVersion_isAConflict() {
    Map<String, String> https = announcing("n2", SELF.clusterId());
    https.put(ClusterIdentity.ATTR_TRANSPORT, "https");
    assertEquals(Severity.CONFLICT, judge(N2, https).severity());
    Map<String, String> wire2 = announcing("n2", SELF.clusterId());
    wire2.put(ClusterIdentity.ATTR_WIRE, "2");
    assertEquals(Severity.CONFLICT, judge(N2, wire2).severity());
  }
}
