package raftsimple.config;

import io.vertx.core.Deployable;
import java.lang.reflect.Modifier;
import raftsimple.statemachine.StateMachine;

/**
 * Validation of the pluggable parts named by class: {@code transport} and {@code stateMachine}.
 * Classes are resolved now, at start, so a typo stops the node with exit 2 instead of failing on
 * first use.
 */
final class PluginRules {
  static final String HTTPS = "https";
  static final String EVENTBUS = "eventbus";
  static final String KV = "kv";

  private PluginRules() {}

  static String transport(Fields top, String dflt) {
    String name = top.string("transport", dflt);
    if (name.equals(HTTPS) || name.equals(EVENTBUS)) {
      return name;
    }
    String prefix = "must be \"https\", \"eventbus\" or the name of a class implementing "
        + Deployable.class.getName() + "; " + EnvOverrides.quoted(name) + " ";
    Class<?> type = load(top, "transport", name, prefix);
    if (!Deployable.class.isAssignableFrom(type)) {
      throw top.error("transport", prefix + "does not implement " + Deployable.class.getName());
    }
    return name;
  }

  static String stateMachine(Fields top, String dflt) {
    String name = top.string("stateMachine", dflt);
    if (name.equals(KV)) {
      return name;
    }
    String prefix = "must be \"kv\" or the name of a public class implementing "
        + StateMachine.class.getName() + " with a public no-argument constructor; "
        + EnvOverrides.quoted(name) + " ";
    Class<?> type = load(top, "stateMachine", name, prefix);
    if (!StateMachine.class.isAssignableFrom(type)) {
      throw top.error("stateMachine", prefix + "does not implement it");
    }
    if (!Modifier.isPublic(type.getModifiers())
        || Modifier.isAbstract(type.getModifiers())
        || !hasPublicNoArgConstructor(type)) {
      throw top.error("stateMachine", prefix
          + "is not a public concrete class with a public no-argument constructor");
    }
    return name;
  }

  private static Class<?> load(Fields top, String key, String name, String prefix) {
    try {
      return Class.forName(name, false, PluginRules.class.getClassLoader());
    } catch (ClassNotFoundException | LinkageError e) {
      throw top.error(key, prefix + "is not on the classpath (" + e + ")");
    }
  }

  private static boolean hasPublicNoArgConstructor(Class<?> type) {
    try {
      type.getConstructor();
      return true;
    } catch (NoSuchMethodException e) {
      return false;
    }
  }
}
