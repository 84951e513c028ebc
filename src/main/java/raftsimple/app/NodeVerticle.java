package raftsimple.app;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import java.lang.System.Logger.Level;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.function.Function;
import raftsimple.config.ConfigParser;
import raftsimple.config.NodeConfig;
import raftsimple.config.TlsMaterial;

/**
 * The main verticle (jar manifest {@code Main-Verticle}): deploys the node's components of
 * {@link Components#forNode} in order, each after the previous has started, and stops them in
 * reverse order.
 *
 * <p>Launched by {@link Main}, it receives the already-validated {@link NodeResources}. Deployed by
 * name (e.g. {@code vertx run} or a test), it parses its own {@code config()} with the same parser
 * and environment overrides, and builds the resources itself.
 *
 * <p>Reverse order is only guaranteed through {@link #stopComponents()}: when Vert.x undeploys
 * this verticle (e.g. {@code vertx.close()}), it first undeploys all child deployments in parallel
 * and only then calls {@link #stop()}. {@link Main}'s SIGTERM handler therefore calls
 * {@link #stopComponents()} before closing Vert.x.
 */
public class NodeVerticle extends VerticleBase {
  private static final System.Logger LOG = System.getLogger(NodeVerticle.class.getName());

  private final Function<NodeResources, List<Components.Component>> components;
  private NodeResources resources;
  /** Deployment ids of started components, the most recent first. Touched on this context only. */
  private final Deque<String> started = new ArrayDeque<>();

  /** For deployment by name: config from {@code config()}, resources built at start. */
  public NodeVerticle() {
    this(null, Components::forNode);
  }

  /** For {@link Main}: the validated resources. */
  public NodeVerticle(NodeResources resources) {
    this(resources, Components::forNode);
  }

  /** For tests: explicit resources and component list. */
  NodeVerticle(NodeResources resources,
      Function<NodeResources, List<Components.Component>> components) {
    this.resources = resources;
    this.components = components;
  }

  @Override
  public Future<?> start() {
    Future<NodeResources> ready =
        resources != null ? Future.succeededFuture(resources) : resourcesFromConfig();
    return ready.compose(r -> {
      resources = r;
      LOG.log(Level.INFO, Summary.of(r));
      return deployInOrder(components.apply(r), 0);
    });
  }

  private Future<NodeResources> resourcesFromConfig() {
    // Parsing checks files and generating a certificate writes them: keep it off the event loop.
    return vertx.executeBlocking(() -> {
      NodeConfig config = ConfigParser.parse(config(), System.getenv());
      return new NodeResources(config, TlsMaterial.load(config), Metrics.currentRegistry());
    });
  }

  private Future<Void> deployInOrder(List<Components.Component> list, int i) {
    if (i == list.size()) {
      return Future.succeededFuture();
    }
    Components.Component c = list.get(i);
    return vertx.deployVerticle(c.factory(), c.options())
        .onSuccess(id -> {
          started.push(id);
          LOG.log(Level.INFO, "started component {0} ({1}/{2})", c.name(), i + 1, list.size());
        })
        .onFailure(e -> LOG.log(Level.ERROR, "component " + c.name() + " failed to start: " + e))
        .compose(id -> deployInOrder(list, i + 1));
  }

  /**
   * Undeploys the started components one at a time, most recent first. Idempotent; returns once
   * all are stopped, failing with the first failure (the others are still undeployed).
   */
  public Future<Void> stopComponents() {
    Promise<Void> done = Promise.promise();
    // May be called from any thread (the SIGTERM handler); the deque is confined to our context.
    context.runOnContext(v -> undeployNext(null).onComplete(done));
    return done.future();
  }

  private Future<Void> undeployNext(Throwable firstFailure) {
    String id = started.poll();
    if (id == null) {
      return firstFailure == null ? Future.succeededFuture() : Future.failedFuture(firstFailure);
    }
    if (!vertx.deploymentIDs().contains(id)) {
      return undeployNext(firstFailure); // already gone (Vert.x undeploys children itself)
    }
    return vertx.undeploy(id).transform(ar -> {
      if (ar.failed()) {
        LOG.log(Level.ERROR, "component " + id + " failed to stop: " + ar.cause());
      }
      return undeployNext(firstFailure != null || ar.succeeded() ? firstFailure : ar.cause());
    });
  }

  @Override
  public Future<?> stop() {
    return stopComponents();
  }

  /** The resources, once started (null before). */
  public NodeResources resources() {
    return resources;
  }
}
