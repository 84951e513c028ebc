package raftsimple.statemachine;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Modifier;

/**
 * Resolves the {@code stateMachine} config value to an instance, at start, so that a wrong class
 * name stops the node before it joins a cluster instead of on the first committed entry
 * (Apache Ratis once named a factory class that no longer existed, found only when first used).
 */
public final class StateMachines {
  private StateMachines() {}

  /** The config value that selects {@link KvStateMachine}. */
  public static final String KV = "kv";

  /**
   * Returns a new state machine for {@code name}: {@value #KV}, or the fully qualified binary name
   * of a concrete public class with a public no-argument constructor implementing {@link
   * StateMachine} (a nested class is written {@code com.example.Outer$Inner}).
   *
   * @throws IllegalArgumentException whose message names the class and what is wrong with it: not
   *     found, not loadable, does not implement the interface, not concrete, not public, no public
   *     no-argument constructor, or the constructor threw (the exception is the cause)
   */
  public static StateMachine load(String name) {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException(
          "stateMachine is empty: use \"" + KV + "\" or the fully qualified name of a class implementing "
              + StateMachine.class.getName());
    }
    if (KV.equals(name)) {
      return new KvStateMachine();
    }
    return instantiate(checkType(name, findClass(name)));
  }

  private static Class<?> findClass(String name) {
    ClassLoader loader = Thread.currentThread().getContextClassLoader();
    if (loader == null) {
      loader = StateMachines.class.getClassLoader();
    }
    try {
      return Class.forName(name, true, loader);
    } catch (ClassNotFoundException e) {
      throw new IllegalArgumentException(
          "state machine class " + name + " not found on the classpath (stateMachine must be \"" + KV
              + "\" or a fully qualified class name, with its jar on -cp)", e);
    } catch (LinkageError e) {
      // ExceptionInInitializerError (a static initializer threw), NoClassDefFoundError (a class it
      // needs is missing), UnsupportedClassVersionError (compiled for a newer Java), ...
      throw new IllegalArgumentException(
          "state machine class " + name + " could not be loaded: " + describe(e), e);
    }
  }

  private static Class<? extends StateMachine> checkType(String name, Class<?> c) {
    if (!StateMachine.class.isAssignableFrom(c)) {
      throw new IllegalArgumentException(
          "state machine class " + name + " does not implement " + StateMachine.class.getName());
    }
    if (c.isInterface() || Modifier.isAbstract(c.getModifiers())) {
      throw new IllegalArgumentException(
          "state machine class " + name + " is " + (c.isInterface() ? "an interface" : "abstract")
              + "; it must be a concrete class");
    }
    if (!Modifier.isPublic(c.getModifiers())) {
      throw new IllegalArgumentException("state machine class " + name + " is not public");
    }
    if (c.isMemberClass() && !Modifier.isStatic(c.getModifiers())) {
      throw new IllegalArgumentException(
          "state machine class " + name + " is an inner (non-static) class; make it static or top-level");
    }
    return c.asSubclass(StateMachine.class);
  }

  private static StateMachine instantiate(Class<? extends StateMachine> c) {
    String name = c.getName();
    Constructor<? extends StateMachine> ctor;
    try {
      ctor = c.getConstructor();
    } catch (NoSuchMethodException e) {
      throw new IllegalArgumentException(
          "state machine class " + name + " has no public no-arg constructor", e);
    }
    try {
      return ctor.newInstance();
    } catch (InvocationTargetException e) {
      throw new IllegalArgumentException(
          "state machine class " + name + ": constructor threw " + describe(e.getCause()), e.getCause());
    } catch (IllegalAccessException e) {
      // A public class inside a non-public enclosing class, or in a module that does not export it.
      throw new IllegalArgumentException(
          "state machine class " + name + " is not accessible: " + e.getMessage(), e);
    } catch (InstantiationException e) {
      throw new IllegalArgumentException("state machine class " + name + " cannot be instantiated", e);
    }
  }

  /** "ExceptionType: message", following causes of message-less wrappers such as static-init errors. */
  private static String describe(Throwable t) {
    String s = t.getMessage() == null ? t.getClass().getName() : t.getClass().getName() + ": " + t.getMessage();
    if (t.getMessage() == null && t.getCause() != null && t.getCause() != t) {
      s += " caused by " + describe(t.getCause());
    }
    return s;
  }
}
