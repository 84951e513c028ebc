package raftsimple.transport.eventbus;

import com.hazelcast.config.MemberAttributeConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;
import raftsimple.config.NodeConfig;
import raftsimple.transport.WireCodec;

/**
 * What a node announces about itself on the event-bus cluster, so that nodes configured
 * differently refuse each other instead of exchanging messages they should not (docs/TRANSPORTS.md
 * §3.4). It is announced twice: as Hazelcast member attributes (checked by {@link MemberAudit} when
 * a member joins) and as a header on every peer message (checked by {@link Inbound}).
 *
 * <p>The cluster id is the first 16 hex digits of SHA-256 over the sorted ids of the initial
 * voters, one per line: every founding member lists the same voters (CONTRACT "peers"), so they
 * agree, and a node of another cluster (or one whose peer list differs) does not. A node that
 * joins later ({@link NodeConfig#joins()}) has no such list: it <em>learns</em> the id from the
 * members it joined (their member attributes, {@link MemberCheck#learnClusterId}) and keeps it in
 * {@value #LEARNED_FILE} in its data dir, so that after a restart it announces it like any member.
 * Until it has learned it (its first start) it announces none. It is a guard against
 * misconfiguration, not an authentication: TLS is that.
 *
 * @param nodeId this node's id
 * @param clusterId derived from the initial voters as above, or learned; null while a joining node
 *     has not learned it yet
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
  /** Where a joining node keeps the cluster id it learned, in its data dir. */
  static final String LEARNED_FILE = "eventbus-cluster-id";
  private static final Pattern ID = Pattern.compile("[0-9a-f]{16}");

  /**
   * This node's identity: a founding member's from its config; a joining member's from its data dir
   * (null id before it has learned one). Reads a small file: call off the event loop.
   */
  public static ClusterIdentity of(NodeConfig config) {
    return new ClusterIdentity(config.nodeId(), config.joins() ? learned(config) : clusterId(config));
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

  /** The id a joining node learned and kept, or null. */
  static String learned(NodeConfig config) {
    Path file = config.dataDir().resolve(LEARNED_FILE);
    if (!Files.exists(file)) {
      return null;
    }
    try {
      String id = Files.readString(file, StandardCharsets.US_ASCII).trim();
      if (!ID.matcher(id).matches()) {
        throw new IllegalStateException(file + " does not hold an event-bus cluster id (16 hex "
            + "digits); delete it to learn the id again from the members");
      }
      return id;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  /** Keeps a learned id in the data dir, durably (temporary file, fsync, rename). Blocking. */
  static void keep(NodeConfig config, String clusterId) {
    Path file = config.dataDir().resolve(LEARNED_FILE);
    Path tmp = config.dataDir().resolve(LEARNED_FILE + ".tmp");
    try {
      Files.createDirectories(config.dataDir());
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING)) {
        ch.write(java.nio.ByteBuffer.wrap((clusterId + "\n").getBytes(StandardCharsets.US_ASCII)));
        ch.force(true);
      }
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  ClusterIdentity withClusterId(String learned) {
    return new ClusterIdentity(nodeId, learned);
  }

  /** Puts this node's attributes into the Hazelcast config, before the instance starts. */
  void announce(MemberAttributeConfig attributes) {
    attributes().forEach(attributes::setAttribute);
  }

  /** This node's attributes, as another member sees them (no cluster id while it has none). */
  Map<String, String> attributes() {
    Map<String, String> a = new LinkedHashMap<>();
    a.put(ATTR_NODE, nodeId);
    a.put(ATTR_TRANSPORT, TRANSPORT);
    a.put(ATTR_WIRE, Integer.toString(WireCodec.VERSION));
    if (clusterId != null) {
      a.put(ATTR_CLUSTER, clusterId);
    }
    return a;
  }
}
