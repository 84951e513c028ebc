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
    wire2.put(ClusterIdentity.ATTR_WIRE, "99");
    assertEquals(Severity.CONFLICT, judge(N2, wire2).severity());
  }

  /** A node added through the log runs wherever it runs: the listed-address rule is for configured peers. */
  @Test
  void aMemberAddedLater_isExpectedFromAnyAddress() {
    assertEquals(Severity.STRANGER, judge(ELSEWHERE, announcing("n4", SELF.clusterId())).severity());
    check.members(Set.of("n2", "n3", "n4"));
    assertEquals(Severity.OK, judge(ELSEWHERE, announcing("n4", SELF.clusterId())).severity());
    assertEquals(Severity.STRANGER, judge(ELSEWHERE, announcing("n2", SELF.clusterId())).severity(),
        "a configured peer must still come from its listed address");
  }

  /**
   * A joining node joins Hazelcast before its join request commits, and announces no cluster id
   * until it has learned one: joining, not a stranger; once a member it is expected, still without
   * one.
   */
  @Test
  void aNodeWithoutAClusterId_isJoiningUntilItIsAMember() {
    Map<String, String> joiner = announcing("n4", null);
    MemberCheck.Finding f = judge(ELSEWHERE, joiner);
    assertEquals(Severity.JOINING, f.severity());
    assertTrue(f.text().contains("member n4") && f.text().contains("joining"), f.text());
    check.members(Set.of("n2", "n3", "n4"));
    assertEquals(Severity.OK, judge(ELSEWHERE, joiner).severity());
  }

  /** A joining node itself, before it learned the id: any member's id is acceptable to it. */
  @Test
  void aNodeThatHasNotLearnedTheIdYet_acceptsTheMembersIds() {
    MemberCheck learning = new MemberCheck(new ClusterIdentity("n4", null), Set.of(), Set.of(N2));
    learning.members(Set.of("n1", "n2"));
    assertEquals(Severity.OK, learning.judge(ELSEWHERE, announcing("n1", "cccccccccccccccc")).severity());
    assertEquals(Severity.STRANGER, learning.judge(ELSEWHERE, announcing("n9", "cccccccccccccccc")).severity());
  }

  @Test
  void aJoiningNodeLearnsTheIdTheMembersAgreeOn_fromMembersOnly() {
    java.util.List<Map<String, String>> announced = java.util.List.of(
        announcing("n1", "1111111111111111"), announcing("n2", "1111111111111111"),
        announcing("x9", "9999999999999999"), // not a member: cannot choose the id
        announcing("n5", null), // a member still joining itself
        Map.of("__vertx.nodeId", "foreign"));
    MemberCheck.Learned l = MemberCheck.learnClusterId(announced, Set.of("n1", "n2", "n5"));
    assertEquals(new MemberCheck.Learned("1111111111111111", null), l);
    assertEquals(new MemberCheck.Learned(null, null),
        MemberCheck.learnClusterId(java.util.List.of(announcing("x9", "9999999999999999")), Set.of("n1")),
        "no member present yet: ask again later");
    MemberCheck.Learned split = MemberCheck.learnClusterId(java.util.List.of(
        announcing("n1", "1111111111111111"), announcing("n2", "2222222222222222")), Set.of("n1", "n2"));
    assertEquals(null, split.clusterId());
    assertTrue(split.problem().contains("different cluster ids"), split.problem());
  }
}
