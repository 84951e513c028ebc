package raftsimple.ingress;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Future;
import java.util.LinkedHashSet;
import java.util.Set;
import raftsimple.bus.Addresses;
import raftsimple.bus.BusApi.Query;
import raftsimple.config.NodeConfig;

/**
 * Where a client refused by a read-only or removed node should send its writes: the URLs of the
 * voting members as the log verticle knows them ({@code GET /cluster}: members with {@code "role":
 * "voter"}; a removed node knows the configuration that removed it), or, if the log verticle cannot
 * say, the configured peers (all of which are initial voters).
 */
final class WritableMembers {
  private final NodeConfig config;
  private final Bus bus;

  WritableMembers(NodeConfig config, Bus bus) {
    this.config = config;
    this.bus = bus;
  }

  /** 403 {@code READ_ONLY} with {@code "writable"}; never fails. */
  Future<Reply> readOnlyReply(String reason) {
    return writable().map(urls -> withWritable(403, Errors.body(Outcomes.READ_ONLY, reason), urls));
  }

  /**
   * A node that was removed from the cluster: CONTRACT's 503 {@code UNAVAILABLE} (clients key on the
   * code), with {@code "removed": true} so a client can tell that retrying here is pointless, and the
   * members to write to instead in {@code "writable"}, as a read-only node lists them. Never fails.
   */
  Future<Reply> removedReply(String reason) {
    return writable().map(urls -> {
      ObjectNode body = Errors.body("UNAVAILABLE", reason);
      body.put("removed", true);
      return withWritable(503, body, urls);
    });
  }

  private Future<Set<String>> writable() {
    Query q = new Query(Query.Kind.CLUSTER, null, 0, 0);
    return bus.request(Addresses.LOG_QUERY, q, config.limits().requestTimeoutMs(), ObjectNode.class)
        .map(WritableMembers::voterUrls)
        .otherwise(e -> configured())
        .map(urls -> urls.isEmpty() ? configured() : urls);
  }

  private static Set<String> voterUrls(ObjectNode cluster) {
    Set<String> urls = new LinkedHashSet<>();
    for (JsonNode m : cluster.path("members")) {
      if ("voter".equals(m.path("role").asText()) && m.path("url").isTextual()) {
        urls.add(m.path("url").asText());
      }
    }
    return urls;
  }

  private Set<String> configured() {
    Set<String> urls = new LinkedHashSet<>();
    for (NodeConfig.Peer p : config.peers()) {
      if (p.url() != null) {
        urls.add(p.url());
      }
    }
    return urls;
  }

  private static Reply withWritable(int status, ObjectNode body, Set<String> urls) {
    ArrayNode writable = body.putArray("writable");
    urls.forEach(writable::add);
    return Reply.of(status, body);
  }
}
