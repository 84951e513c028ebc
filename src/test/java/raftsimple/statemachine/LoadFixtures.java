package raftsimple.statemachine;

import com.fasterxml.jackson.databind.JsonNode;

/** Small classes for {@link StateMachinesTest}, each wrong in one way (or right). */
public final class LoadFixtures {
  private LoadFixtures() {}

  /** A minimal correct machine: counts applied entries. */
  public static class Counter implements StateMachine {
    public int applied;

    @Override
    public Verdict validate(JsonNode payload) {
      return Verdict.accept();
    }

    @Override
    public Applied apply(JsonNode payload) {
      applied++;
      return Applied.result(Json.NODES.numberNode(applied));
    }

    @Override
    public byte[] snapshot() {
      return new byte[] {(byte) applied};
    }

    @Override
    public void restore(byte[] snapshot) {
      applied = snapshot[0];
    }
  }

  public static class NotAMachine {}

  public abstract static class Abstract extends Counter {}

  public static class NeedsArgument extends Counter {
    public NeedsArgument(String arg) {}
  }

  public static class PrivateConstructor extends Counter {
    private PrivateConstructor() {}
  }

  public static class Throws extends Counter {
    public Throws() {
      throw new IllegalStateException("no database");
    }
  }

  public static class StaticInitThrows extends Counter {
    static {
      if (Boolean.TRUE) {
        throw new IllegalStateException("bad static init");
      }
    }
  }

  /** Not static: needs an enclosing instance. */
  public class Inner extends Counter {}

  public interface AnInterface extends StateMachine {}
}

/** Package-private top-level class. */
class HiddenMachine extends LoadFixtures.Counter {}
