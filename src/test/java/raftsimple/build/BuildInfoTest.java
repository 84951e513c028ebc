package raftsimple.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.Properties;
import org.junit.jupiter.api.Test;

class BuildInfoTest {
  @Test
  void valuesMavenDidNotFillInAreUnknown() {
    Properties p = new Properties();
    p.setProperty("version", "1.2.3");
    p.setProperty("commit", "${git.commit.id.abbrev}");
    p.setProperty("dirty", "${git.dirty}");
    assertEquals(new BuildInfo("1.2.3", BuildInfo.UNKNOWN, false), BuildInfo.fromProperties(p));
    assertEquals(new BuildInfo(BuildInfo.UNKNOWN, BuildInfo.UNKNOWN, false), BuildInfo.fromProperties(new Properties()));
    assertEquals("1.2.3 commit unknown", BuildInfo.fromProperties(p).describe());
  }

  @Test
  void theBuildFilledInTheVersion() {
    // target/classes/raftsimple/build.properties is filtered by Maven before the tests run.
    assertNotEquals(BuildInfo.UNKNOWN, BuildInfo.current().version());
  }
}
