package raftsimple.bus;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageCodec;
import raftsimple.chain.Hash;
import raftsimple.core.msg.Message;
import raftsimple.statemachine.Verdict;

/**
 * Passes an immutable object across the local event bus by reference (no re-encoding between
 * verticles of one process). It refuses to encode for the wire: these types never leave the process
 * on the bus; the clustered transport wraps messages in its own versioned JSON.
 */
public final class LocalCodec<T> implements MessageCodec<T, T> {
  private final String name;

  private LocalCodec(Class<T> type) {
    this.name = "local:" + type.getName();
  }

  @Override
  public void encodeToWire(Buffer buffer, T t) {
    throw new UnsupportedOperationException(name + " is local-only");
  }

  @Override
  public T decodeFromWire(int pos, Buffer buffer) {
    throw new UnsupportedOperationException(name + " is local-only");
  }

  @Override
  public T transform(T t) {
    return t;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public byte systemCodecID() {
    return -1;
  }

  /** Registers the codec for every type that crosses this node's local bus. Idempotent per Vert.x. */
  public static void registerAll(EventBus bus) {
    for (Class<?> c : Message.class.getPermittedSubclasses()) {
      register(bus, c);
    }
    for (Class<?> c : BusApi.class.getDeclaredClasses()) {
      register(bus, c);
    }
    register(bus, Verdict.class);
    // Query replies are Jackson trees built fresh for each reply and never touched afterwards.
    register(bus, com.fasterxml.jackson.databind.node.ObjectNode.class);
    register(bus, Hash.class);
    // LOG_QUERY's replies: without this Vert.x copies them with Java serialization, which re-parses
    // the raw payloads of GET /log with a default ObjectMapper (1.10 became 1.1, 1e2 became 100.0),
    // so /log no longer printed the bytes the txid was computed over.
    register(bus, com.fasterxml.jackson.databind.node.ObjectNode.class);
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static void register(EventBus bus, Class<?> c) {
    if (c.isInterface()) {
      return;
    }
    try {
      bus.registerDefaultCodec((Class) c, new LocalCodec(c));
    } catch (IllegalStateException alreadyRegistered) {
      // Several verticles of one node may each call registerAll; the first registration wins.
    }
  }
}
