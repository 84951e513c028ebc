package raftsimple.statemachine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class StateMachinesTest {
  private static final String F = LoadFixtures.class.getName() + "$";

  private static String error(String name) {
    return assertThrows(IllegalArgumentException.class, () -> StateMachines.load(name)).getMessage();
  }

  @Test
  void kv_isTheBuiltIn_andEachLoadIsANewInstance() {
    assertInstanceOf(KvStateMachine.class, StateMachines.load("kv"));
    assertNotSame(StateMachines.load("kv"), StateMachines.load("kv"));
  }

  @Test
  void aCorrectClass_isInstantiatedByName() {
    assertInstanceOf(LoadFixtures.Counter.class, StateMachines.load(F + "Counter"));
  }

  @Test
  void errors_nameTheClassAndTheProblem() {
    assertEquals("state machine class com.example.Nope not found on the classpath (stateMachine must be \"kv\""
        + " or a fully qualified class name, with its jar on -cp)", error("com.example.Nope"));
    assertEquals("state machine class " + F + "NotAMachine does not implement raftsimple.statemachine.StateMachine",
        error(F + "NotAMachine"));
    assertEquals("state machine class " + F + "Abstract is abstract; it must be a concrete class", error(F + "Abstract"));
    assertEquals("state machine class " + F + "AnInterface is an interface; it must be a concrete class",
        error(F + "AnInterface"));
    assertEquals("state machine class " + F + "NeedsArgument has no public no-arg constructor", error(F + "NeedsArgument"));
    assertEquals("state machine class " + F + "PrivateConstructor has no public no-arg constructor",
        error(F + "PrivateConstructor"));
    assertEquals("state machine class " + F + "Throws: constructor threw java.lang.IllegalStateException: no database",
        error(F + "Throws"));
    assertEquals("state machine class raftsimple.statemachine.HiddenMachine is not public",
        error("raftsimple.statemachine.HiddenMachine"));
    assertTrue(error(F + "Inner").endsWith("is an inner (non-static) class; make it static or top-level"));
  }

  @Test
  void constructorFailure_keepsTheCause() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> StateMachines.load(F + "Throws"));
    assertInstanceOf(IllegalStateException.class, e.getCause());
  }

  @Test
  void staticInitializerFailure_isReportedWithItsCause() {
    String m = error(F + "StaticInitThrows");
    assertTrue(m.startsWith("state machine class " + F + "StaticInitThrows could not be loaded: "
        + "java.lang.ExceptionInInitializerError caused by java.lang.IllegalStateException: bad static init"), m);
  }

  @Test
  void emptyName_isRefused() {
    assertTrue(error("").startsWith("stateMachine is empty"));
    assertTrue(error(null).startsWith("stateMachine is empty"));
  }
}
