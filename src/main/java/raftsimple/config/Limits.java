package raftsimple.config;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;

/**
 * The config keys of {@link NodeConfig.Limits}, read from the record itself: a component added to
 * the record becomes a key (with its default and the range of its Java type) without touching the
 * parser. Every limit must be positive: nothing is unbounded.
 */
final class Limits {

  /** One limit key: its name, default, and the largest value allowed (its type's, or a cap). */
  record Key(String name, long dflt, long max, Class<?> type) {}

  /**
   * Keys with a tighter bound than their Java type's. Declared before {@link #KEYS}, which reads it
   * during class initialization.
   */
  private static final java.util.Map<String, Long> CAPS = java.util.Map.of(
      "eventLoops", 1_024L); // each is a thread: more is a typo, not a tuning

  static final List<Key> KEYS = read();

  private Limits() {}

  static List<String> keys() {
    List<String> names = new ArrayList<>();
    for (Key key : KEYS) {
      names.add(key.name());
    }
    return List.copyOf(names);
  }

  private static List<Key> read() {
    NodeConfig.Limits defaults = NodeConfig.Limits.defaults();
    List<Key> keys = new ArrayList<>();
    for (RecordComponent c : NodeConfig.Limits.class.getRecordComponents()) {
      long max = Math.min(c.getType() == int.class ? Integer.MAX_VALUE : Long.MAX_VALUE,
          CAPS.getOrDefault(c.getName(), Long.MAX_VALUE));
      if (c.getType() != int.class && c.getType() != long.class) {
        throw new IllegalStateException("Limits." + c.getName() + " must be an int or a long");
      }
      keys.add(new Key(c.getName(), ((Number) invoke(c, defaults)).longValue(), max, c.getType()));
    }
    return List.copyOf(keys);
  }

  /** A Limits record from values in {@link #KEYS} order, already range-checked. */
  static NodeConfig.Limits build(List<Long> values) {
    Class<?>[] types = new Class<?>[KEYS.size()];
    Object[] args = new Object[KEYS.size()];
    for (int i = 0; i < KEYS.size(); i++) {
      types[i] = KEYS.get(i).type();
      long v = values.get(i);
      args[i] = types[i] == int.class ? (Object) Math.toIntExact(v) : (Object) v;
    }
    try {
      return NodeConfig.Limits.class.getDeclaredConstructor(types).newInstance(args);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot build NodeConfig.Limits", e);
    }
  }

  private static Object invoke(RecordComponent c, NodeConfig.Limits on) {
    try {
      return c.getAccessor().invoke(on);
    } catch (IllegalAccessException | InvocationTargetException e) {
      throw new IllegalStateException("cannot read NodeConfig.Limits." + c.getName(), e);
    }
  }
}
