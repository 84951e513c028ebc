package raftsimple.ingress;

import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import raftsimple.bus.Addresses;

/**
 * Requests to the node's other verticles, always with an explicit send timeout (never the 30 s default), and
 * with the reply's type checked: a reply of another type is a programmer error and fails the future
 * with {@link IllegalStateException} (500 {@code INTERNAL}, logged by {@link Errors}).
 */
final class Bus {
  private final EventBus bus;

  Bus(EventBus bus) {
    this.bus = bus;
  }

  /** Sends {@code body} to {@code address}; completes with the reply body, which may be any type. */
  Future<Object> request(String address, Object body, long timeoutMs) {
    DeliveryOptions options = Addresses.local(timeoutMs);
    return bus.request(address, body, options).map(Message::body);
  }

  /** As {@link #request}, and the reply must be a {@code type}. */
  <T> Future<T> request(String address, Object body, long timeoutMs, Class<T> type) {
    return request(address, body, timeoutMs).map(reply -> expect(address, reply, type));
  }

  static <T> T expect(String address, Object reply, Class<T> type) {
    if (!type.isInstance(reply)) {
      throw new IllegalStateException(address + " replied "
          + (reply == null ? "null" : reply.getClass().getName()) + ", expected " + type.getName());
    }
    return type.cast(reply);
  }
}
