package raftsimple.statemachine;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;

/**
 * The outcome of applying one committed entry: a result for the client (any JSON, may be null), or a
 * rejection (the entry stays in the log as a committed no-op for the state and its client gets 409).
 */
public record Applied(boolean ok, JsonNode result, String reason) {
  public Applied {
    if (!ok) {
      Objects.requireNonNull(reason, "a rejection needs a reason");
    }
  }

  public static Applied result(JsonNode result) {
    return new Applied(true, result, null);
  }

  public static Applied rejected(String reason) {
    return new Applied(false, null, reason);
  }
}
