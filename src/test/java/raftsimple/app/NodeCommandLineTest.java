package raftsimple.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import raftsimple.build.BuildInfo;

class NodeCommandLineTest {
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private NodeCommandLine.Parsed parse(String... args) {
    return NodeCommandLine.parse(args, new PrintWriter(out), new PrintWriter(err));
  }

  @Test
  void theConfInTheLaunchersForms() {
    assertEquals("a.json", parse("-conf", "a.json").conf());
    assertEquals("b.json", parse("--conf", "b.json").conf());
    assertEquals("c.json", parse("-conf=c.json").conf());
    assertEquals("d.json", parse("-CONF", "d.json").conf());
    assertEquals("{\"port\":1}", parse("--conf={\"port\":1}").conf());
    NodeCommandLine.Parsed none = parse();
    assertEquals(Optional.empty(), none.exit());
    assertNull(none.conf());
  }

  @Test
  void helpSaysWhatRaftsimpleIsNotTheGenericLauncher() {
    assertEquals(Optional.of(0), parse("--help").exit());
    String help = out.toString();
    assertTrue(help.contains("hash-chained log"), help);
    assertTrue(help.contains("-conf"), help);
    assertTrue(help.contains("ctl --help"), help);
    assertTrue(help.contains("4 the address is already in use"), help);
    assertFalse(help.contains("cluster-host"), "no Hazelcast flags: " + help);
    assertEquals(Optional.of(0), parse("-h").exit());
  }

  @Test
  void versionPrintsTheBuild() {
    assertEquals(Optional.of(0), parse("--version").exit());
    assertEquals("raftsimple " + BuildInfo.current().describe(), out.toString().strip());
  }

  @Test
  void anUnknownOptionIsAUsageErrorNamingIt() {
    assertEquals(Optional.of(2), parse("--bogus").exit());
    assertTrue(err.toString().contains("Unknown option: '--bogus'"), err.toString());
  }

  @Test
  void aStrayWordIsAUsageErrorNamingIt() {
    assertEquals(Optional.of(2), parse("-conf", "a.json", "start").exit());
    assertTrue(err.toString().contains("'start'"), err.toString());
  }

  @Test
  void confWithoutAValueIsAUsageError() {
    assertEquals(Optional.of(2), parse("-conf").exit());
    assertTrue(err.toString().contains("-conf"), err.toString());
  }
}
