package raftsimple.statemachine;

import java.util.Objects;

/**
 * A state machine's answer to "may this entry be applied?" A refusal is a value,
 * not an exception: the client gets 409 {@code REJECTED} with {@link #reason()}.
 */
public record Verdict(boolean accepted, String reason) {
  private static final Verdict ACCEPT = new Verdict(true, null);

  public Verdict {
    if (!accepted) {
      Objects.requireNonNull(reason, "a rejection needs a reason");
    }
  }

  public static Verdict accept() {
    return ACCEPT;
  }

  public static Verdict reject(String reason) {
    return new Verdict(false, reason);
  }
}
