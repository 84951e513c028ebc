package raftsimple.transport;

import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.nio.file.Path;
import java.util.List;

/**
 * The nodes of a {@link TransportContractTest}: the transport verticles of {@link #RUNNING}, each
 * in its own Vert.x (and, for the event bus, its own cluster member), configured as one cluster
 * with {@link #DOWN} as a fourth peer that never runs. TLS is on, with certificates from
 * deploy/gen-certs.sh. The test plays the log verticle: it sends on {@code PEER_OUT} and listens on
 * {@code PEER_IN} of each node's Vert.x.
 */
public interface TransportFixture {
  List<String> RUNNING = List.of("n1", "n2", "n3");
  String DOWN = "n4";
  List<String> ALL = List.of("n1", "n2", "n3", "n4");

  /** Creates certificates in {@code dir}, starts every running node; blocking. */
  void start(Path dir) throws Exception;

  Vertx vertx(String node);

  /**
   * Hands {@code body} to {@code target}'s inbound path as n1 would (n1's credentials), bypassing
   * n1's codec and outbox; fails when the target refuses it.
   */
  Future<Void> injectAsMember(String target, Buffer body);

  /**
   * Hands {@code body} to {@code target}'s inbound path from a process that is willing to speak
   * the protocol but holds no certificate from the cluster CA; must fail.
   */
  Future<Void> injectAsStranger(String target, Buffer body);

  /** The meter registry {@code node}'s transport registers its meters with. */
  MeterRegistry registry(String node);

  /**
   * Stops {@code node} as a crash would look to its peers: its Vert.x (server, transport, cluster
   * member) is closed. Blocking; {@link #vertx} of it is then null until {@link #restart}.
   */
  void stop(String node) throws Exception;

  /** Starts a stopped {@code node} again with the same config, ports and certificates; blocking. */
  void restart(String node) throws Exception;

  /** Stops everything it started; blocking. */
  void close() throws Exception;
}
