package raftsimple.transport.eventbus;

import com.hazelcast.config.MemberAttributeConfig;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import raftsimple.config.NodeConfig;
import raftsimple.transport.WireCodec;

/**
 * What a node announces about itself on the event-bus cluster, so that nodes configured
 * differently refuse each other instead of exchanging messages they should not (docs/TRANSPORTS.md
 * §3.4). It is announced twice: as Hazelcast member attributes (checked by {@link MemberAudit} when
 * a member joins) and as a header on every peer message (checked by {@link Inbound}).
 *
 * <p>The cluster id is the first 16 hex digits of SHA-256 over the sorted ids of the initial voters,
 * one per line: every member of one cluster lists the same voters (CONTRACT "peers"), so they agree,
 * and a node of another cluster (or one whose peer list differs) does not. It is a guard against
 * misconfiguration, not an authentication: TLS is that.
 *
 * @param nodeId this node's id
 * @param clusterId derived from the initial voters as above
 */
public record ClusterIdentity(String nodeId, String clusterId) {
  /** The transport name every member of an event-bus cluster announces. */
  public static final String TRANSPORT = "eventbus";
  static final String ATTR_NODE = "raftsimple.node";
  static final String ATTR_TRANSPORT = "raftsimple.transport";
  static final String ATTR_WIRE = "raftsimple.wire";
  static final String ATTR_CLUSTER = "raftsimple.cluster";
  /** Delivery header carrying the sender's cluster id on every peer message. */
  public static final String HEADER_CLUSTER = "raftsimple-cluster";

  public static ClusterIdentity of(NodeConfig config) {
    return new ClusterIdentity(config.nodeId(), clusterId(config));
  }

  static String clusterId(NodeConfig config) {
    String voters = String.join("\n", config.initialVoters()); // sorted
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256")
          .digest(voters.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  /** Puts this node's attributes into the Hazelcast config, before the instance starts. */
  void announce(MemberAttributeConfig attributes) {
    attributes.setAttribute(ATTR_NODE, nodeId);
    attributes.setAttribute(ATTR_TRANSPORT, TRANSPORT);
    attributes.setAttribute(ATTR_WIRE, Integer.toString(WireCodec.VERSION));
    attributes.setAttribute(ATTR_CLUSTER, clusterId);
  }

  /** This node's attributes, as another member sees them. */
  Map<String, String> attributes() {
    return Map.of(ATTR_NODE, nodeId, ATTR_TRANSPORT, TRANSPORT,
        ATTR_WIRE, Integer.toString(WireCodec.VERSION), ATTR_CLUSTER, clusterId);
  }
}
