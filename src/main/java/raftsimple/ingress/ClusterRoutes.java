package raftsimple.ingress;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import raftsimple.bus.Addresses;
import raftsimple.bus.BusApi.MembershipChange;
import raftsimple.bus.BusApi.Query;
import raftsimple.bus.BusApi.SubmitOutcome;
import raftsimple.config.NodeConfig;

/**
 * {@code GET /cluster} and membership (CONTRACT "Membership"): changes go to the log verticle,
 * which commits them through the log as system entries.
 */
final class ClusterRoutes {
  private final NodeConfig config;
  private final Bus bus;
  private final WritableMembers writable;

  ClusterRoutes(NodeConfig config, Bus bus, WritableMembers writable) {
    this.config = config;
    this.bus = bus;
    this.writable = writable;
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

  /**
   * {@code POST /cluster/members {"id", "url", "role"}}: 201 once the change is committed, 200 when
   * the membership already was so (nothing written); see docs/PROTOCOL.md §11.
   */
  private Future<Reply> addMember(RoutingContext ctx) {
    JsonNode body;
    try {
      body = Payloads.parse(RawBody.of(ctx).getBytes()).tree();
    } catch (Payloads.BadPayload e) {
      return Future.succeededFuture(Errors.badRequest(e.getMessage()));
    }
    if (!body.isObject() || !body.path("id").isTextual() || !body.path("url").isTextual()
        || (body.has("role") && !body.get("role").isTextual())) {
      return Future.succeededFuture(Errors.badRequest(
          "expected {\"id\": string, \"url\": string, \"role\": \"voter\" | \"read-only\"}"));
    }
    String role = body.has("role") ? body.get("role").asText() : "voter";
    return change(ctx, new MembershipChange("add", body.get("id").asText(), body.get("url").asText(), role));
  }

  /** {@code DELETE /cluster/members/{id}}: 200 once the removal is committed. */
  private Future<Reply> removeMember(RoutingContext ctx) {
    return change(ctx, new MembershipChange("remove", ctx.pathParam("id"), null, null))
        .map(r -> r.status() == 201 ? Reply.of(200, r.body()) : r);
  }

  /**
   * With mutual TLS configured (a CA), only holders of a certificate the CA signed — members, or an
   * operator given one by deploy/gen-certs.sh — may change the membership; plain clients may not.
   */
  private Future<Reply> change(RoutingContext ctx, MembershipChange c) {
    boolean mutual = config.tls().enabled() && config.tls().caPath() != null;
    if (mutual && PeerRoute.verifiedSubject(ctx.request()) == null) {
      return Future.succeededFuture(Errors.reply(403, "FORBIDDEN", "membership changes need a "
          + "client certificate signed by the cluster CA (e.g. curl --cert node.crt --key node.key)"));
    }
    if (config.readOnly()) {
      return Future.succeededFuture(Errors.reply(403, "READ_ONLY",
          "this node is read-only; change the membership through a voter"));
    }
    return bus.request(Addresses.LOG_MEMBERSHIP, c, config.limits().requestTimeoutMs() + 1_000,
        SubmitOutcome.class).compose(o -> Outcomes.isRemovedRefusal(o)
            ? writable.removedReply(o.reason() == null ? "this node was removed from the cluster" : o.reason())
            : Future.succeededFuture(membershipReply(o)));
  }

  static Reply membershipReply(SubmitOutcome o) {
    switch (o.kind()) {
      case COMMITTED: {
        ObjectNode body = Reply.object();
        body.setAll((ObjectNode) o.result());
        if (o.txid() != null) {
          body.put("txid", o.txid().hex());
          body.put("index", o.index());
        }
        return Reply.of(o.txid() == null ? 200 : 201, body);
      }
      case REJECTED:
        return Errors.reply(409, "MEMBERSHIP_CONFLICT", o.reason());
      case UNAVAILABLE:
        return Outcomes.reply(o);
      default: {
        int status = switch (String.valueOf(o.code())) {
          case "BAD_REQUEST" -> 400;
          case "NOT_FOUND" -> 404;
          case "READ_ONLY" -> 403;
          case "MEMBERSHIP_CONFLICT" -> 409;
          default -> 503;
        };
        return Errors.reply(status, o.code() == null ? "UNAVAILABLE" : o.code(), o.reason());
      }
    }
  }
}
