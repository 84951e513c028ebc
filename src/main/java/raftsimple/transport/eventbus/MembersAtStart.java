package raftsimple.transport.eventbus;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.Set;
import java.util.TreeSet;
import raftsimple.bus.Addresses;
import raftsimple.bus.BusApi;

/**
 * The configuration the log verticle holds when the transport starts (it started first, and it
 * may have changed since the config file was written, or come from joining): its members' ids,
 * this node's included when it is one, and whether this node is one (a node restarted after its
 * removal is not). Read from {@code LOG_QUERY CLUSTER}, the body of {@code GET /cluster}.
 */
record MembersAtStart(Set<String> ids, boolean selfIsMember) {
  static Future<MembersAtStart> query(Vertx vertx) {
    return vertx.eventBus().<ObjectNode>request(Addresses.LOG_QUERY,
            new BusApi.Query(BusApi.Query.Kind.CLUSTER, null, 0, 0), Addresses.local(10_000))
        .map(reply -> of(reply.body()))
        // No log verticle (transport tests): the config file's peers are all there is.
        .otherwise(e -> new MembersAtStart(Set.of(), true));
  }

  static MembersAtStart of(JsonNode cluster) {
    Set<String> ids = new TreeSet<>();
    boolean self = false;
    for (JsonNode m : cluster.path("members")) {
      if ("removed".equals(m.path("role").asText())) {
        continue; // this node, no longer a member
      }
      ids.add(m.path("id").asText());
      self |= m.path("self").asBoolean();
    }
    return new MembersAtStart(ids, self);
  }
}
