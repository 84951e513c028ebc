package raftsimple.app;

import io.vertx.core.Deployable;
import io.vertx.core.DeploymentOptions;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The node's component verticles, in deployment order; {@link NodeVerticle} deploys them one after
 * the other, each waiting for the previous, and stops them in reverse. Each later component may
 * rely on the bus addresses of the earlier ones being registered.
 */
public final class Components {

  /**
   * One component: a name for logs, a factory (called once per deployment) and its options.
   * Storage runs on a worker (STYLE rule 11): give that component {@code ThreadingModel.WORKER}.
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
   * The components of a node, in order.
   *
   * <p>TODO(lead): wire the real verticles, in this order:
   * <ol>
   *   <li>{@code raftsimple.statemachine.StateMachineVerticle(NodeConfig)} — the state machine
   *       named by {@code config.stateMachine()}, replaying a snapshot if any;
   *   <li>{@code raftsimple.log.LogVerticle(NodeConfig, ...)} — storage replay and the core; a
   *       corrupt WAL fails its start with {@link FatalStartupException} (exit 2);
   *   <li>the transport: {@code raftsimple.transport.https.HttpsTransportVerticle(NodeConfig,
   *       resources.tls().peerClientOptions(), ...)} for {@code "https"},
   *       {@code raftsimple.transport.eventbus.EventBusTransportVerticle} for {@code "eventbus"}
   *       (Vert.x is then clustered by {@link Clustering}), or the class named by
   *       {@code config.transport()};
   *   <li>{@code raftsimple.ingress.IngressVerticle(NodeConfig,
   *       resources.tls().serverOptions(config), resources.registry())} — last, so no client
   *       request arrives before the rest is up.
   * </ol>
   */
  public static List<Component> forNode(NodeResources resources) {
    Objects.requireNonNull(resources, "resources");
    return List.of();
  }
}
