package raftsimple.app;

import io.vertx.core.Deployable;
import io.vertx.core.DeploymentOptions;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;
import raftsimple.config.NodeConfig;
import raftsimple.ingress.IngressVerticle;
import raftsimple.log.LogVerticle;
import raftsimple.log.WalRecordStore;
import raftsimple.statemachine.host.StateMachineVerticle;
import raftsimple.transport.eventbus.EventBusTransportVerticle;
import raftsimple.transport.https.HttpsTransportVerticle;

/**
 * The node's component verticles, in deployment order; {@link NodeVerticle} deploys them one after
 * the other, each waiting for the previous, and stops them in reverse. Each later component may
 * rely on the bus addresses of the earlier ones being registered.
 */
public final class Components {

  /**
   * One component: a name for logs, a factory (called once per deployment) and its options.
   * Storage runs on a worker (disk I/O never on an event loop): give that component {@code ThreadingModel.WORKER}.
   */
  public record Component(String name, Supplier<? extends Deployable> factory,
      DeploymentOptions options) {
    public Component {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(factory, "factory");
      options = options == null ? new DeploymentOptions() : options;
    }

    public Component(String name, Supplier<? extends Deployable> factory) {
      this(name, factory, new DeploymentOptions());
    }
  }

  private Components() {}

  /**
   * The components of a node, in order: the state machine (named by {@code stateMachine}); the log
   * verticle (storage replay and the protocol core); the peer transport; and the client ingress
   * last, so that no client request arrives before the rest is up.
   */
  public static List<Component> forNode(NodeResources resources) {
    Objects.requireNonNull(resources, "resources");
    NodeConfig config = resources.config();
    Path wal = config.dataDir().resolve("wal");
    return List.of(
        new Component("state machine", () -> new StateMachineVerticle(config)),
        new Component("log", () -> new LogVerticle(config,
            () -> new WalRecordStore(wal, config.limits().walSegmentBytes()), resources.registry(),
            resources.tls().peerClientOptions())),
        new Component("transport " + config.transport(), () -> transport(resources)),
        new Component("ingress", () -> new IngressVerticle(config,
            resources.tls().serverOptions(config), resources.registry())));
  }

  /**
   * The peer transport named by {@code transport}: "https", "eventbus" (the clustered event bus;
   * {@link Main} then builds a clustered Vert.x), or the fully qualified name of a
   * verticle class with a public constructor taking {@link NodeResources} (docs/TRANSPORTS.md).
   */
  static Deployable transport(NodeResources resources) {
    NodeConfig config = resources.config();
    switch (config.transport()) {
      case "https":
        return new HttpsTransportVerticle(config, resources.tls().peerClientOptions(),
            resources.registry());
      case "eventbus":
        return new EventBusTransportVerticle(config, resources.registry());
      default:
        try {
          Class<?> c = Class.forName(config.transport());
          return (Deployable) c.getConstructor(NodeResources.class).newInstance(resources);
        } catch (ReflectiveOperationException | ClassCastException e) {
          throw new FatalStartupException(2, "transport '" + config.transport()
              + "' cannot be created: it needs a public constructor taking "
              + NodeResources.class.getName() + " (" + e + ")", e);
        }
    }
  }
}
