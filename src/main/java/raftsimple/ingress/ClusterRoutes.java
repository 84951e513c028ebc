package raftsimple.ingress;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import raftsimple.bus.Addresses;
import raftsimple.bus.BusApi.Query;
import raftsimple.config.NodeConfig;

/**
 * {@code GET /cluster} and membership (CONTRACT "Membership"). Membership changes are not built
 * yet: both routes answer 501 {@code NOT_IMPLEMENTED}, and already read the body with the client
 * limit, so the later change only replaces {@link #addMember} and {@link #removeMember}.
 */
final class ClusterRoutes {
  private final NodeConfig config;
  private final Bus bus;

  ClusterRoutes(NodeConfig config, Bus bus) {
    this.config = config;
    this.bus = bus;
  }

  void mount(RouteFactory routes, Handler<RoutingContext> bodyHandler) {
    routes.route(HttpMethod.GET, "/cluster").handler(ctx -> Replies.send(ctx, cluster()));
    routes.route(HttpMethod.POST, "/cluster/members")
        .handler(bodyHandler)
        .handler(ctx -> Replies.send(ctx, addMember(ctx)));
    routes.route(HttpMethod.DELETE, "/cluster/members/:id")
        .handler(ctx -> Replies.send(ctx, removeMember(ctx)));
  }

  private Future<Reply> cluster() {
    Query q = new Query(Query.Kind.CLUSTER, null, 0, 0);
    return bus.request(Addresses.LOG_QUERY, q, config.limits().requestTimeoutMs(), ObjectNode.class)
        .map(Reply::ok);
  }

  private Future<Reply> addMember(RoutingContext ctx) {
    return Future.succeededFuture(Errors.notImplemented("adding a member is not implemented yet"));
  }

  private Future<Reply> removeMember(RoutingContext ctx) {
    return Future.succeededFuture(Errors.notImplemented("removing a member is not implemented yet"));
  }
}
