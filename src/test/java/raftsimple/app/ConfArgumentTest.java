package raftsimple.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Optional;
import org.junit.jupiter.api.Test;
import raftsimple.config.ConfigException;

class ConfArgumentTest {
  @Test
  void findsEveryFormTheLauncherAccepts() {
    assertEquals(Optional.of("a.json"), ConfArgument.find(new String[] {"-conf", "a.json"}));
    assertEquals(Optional.of("b.json"), ConfArgument.find(new String[] {"--conf", "b.json"}));
    assertEquals(Optional.of("c.json"), ConfArgument.find(new String[] {"-CONF=c.json"}));
    assertEquals(Optional.of("{\"a\":1}"),
        ConfArgument.find(new String[] {"-instances", "1", "--conf={\"a\":1}"}));
    assertEquals(Optional.empty(), ConfArgument.find(new String[] {"-cluster"}));
    assertEquals(Optional.empty(), ConfArgument.find(new String[0]));
  }

  @Test
  void aMissingValueIsAConfigError() {
    ConfigException e = assertThrows(ConfigException.class,
        () -> ConfArgument.find(new String[] {"-conf"}));
    assertEquals("-conf", e.key());
  }
}
