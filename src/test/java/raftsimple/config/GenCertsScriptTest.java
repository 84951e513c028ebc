package raftsimple.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GenCertsScriptTest {
  @TempDir Path dir;

  @BeforeEach
  void openssl() {
    GenCerts.assumeOpenssl();
  }

  private static X509Certificate read(Path file) throws Exception {
    return (X509Certificate) CertificateFactory.getInstance("X.509")
        .generateCertificate(new ByteArrayInputStream(Files.readAllBytes(file)));
  }

  @Test
  void defaultNamesSignedByOneCaWithBothUsages() throws Exception {
    GenCerts.generate(dir);
    X509Certificate ca = read(dir.resolve("ca.crt"));
    for (String n : List.of("n1", "n2", "n3")) {
      X509Certificate cert = read(dir.resolve(n + ".crt"));
      cert.verify(ca.getPublicKey());
      assertEquals("CN=" + n, cert.getSubjectX500Principal().getName());
      assertTrue(cert.getExtendedKeyUsage().containsAll(
          List.of("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2")));
      assertEquals(-1, cert.getBasicConstraints(), "not a CA");
      assertTrue(Files.isRegularFile(dir.resolve(n + ".key")));
    }
    assertTrue(ca.getBasicConstraints() >= 0, "the CA is a CA");
    if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
      for (String key : List.of("ca.key", "n1.key")) {
        assertEquals("rw-------", PosixFilePermissions.toString(
            Files.getPosixFilePermissions(dir.resolve(key))), key);
      }
    }
  }

  @Test
  void extraSubjectAltNamesAreTypedAutomatically() throws Exception {
    GenCerts.generate(dir, "a1:10.1.2.3,node.example,::1");
    Set<String> sans = read(dir.resolve("a1.crt")).getSubjectAlternativeNames().stream()
        .map(san -> san.get(0) + "=" + san.get(1)).collect(Collectors.toSet());
    // 2 = DNS name, 7 = IP address (RFC 5280 GeneralName tags)
    assertEquals(Set.of("2=localhost", "7=127.0.0.1", "7=10.1.2.3", "2=node.example",
        "7=0:0:0:0:0:0:0:1"), sans);
  }

  @Test
  void idempotentUnlessForced() throws Exception {
    GenCerts.generate(dir, "n1");
    byte[] ca = Files.readAllBytes(dir.resolve("ca.crt"));
    byte[] n1 = Files.readAllBytes(dir.resolve("n1.crt"));
    String second = GenCerts.generate(dir, "n1", "n2");
    assertTrue(second.contains("kept    " + dir.resolve("ca.crt")), second);
    assertTrue(second.contains("kept    " + dir.resolve("n1.crt")), second);
    assertTrue(java.util.Arrays.equals(ca, Files.readAllBytes(dir.resolve("ca.crt"))));
    assertTrue(java.util.Arrays.equals(n1, Files.readAllBytes(dir.resolve("n1.crt"))));

    GenCerts.Result forced = GenCerts.run("-f", "-o", dir.toString(), "n1");
    assertEquals(0, forced.status(), forced.output());
    assertNotEquals(new String(ca), Files.readString(dir.resolve("ca.crt")));
    assertTrue(forced.output().contains("n2.crt is not signed by the new CA"), forced.output());
    String again = GenCerts.generate(dir, "n2"); // stale n2 is regenerated under the new CA
    assertTrue(again.contains("created " + dir.resolve("n2.crt")), again);
    read(dir.resolve("n2.crt")).verify(read(dir.resolve("ca.crt")).getPublicKey());
  }

  @Test
  void rejectsABadNodeIdBeforeWritingAnything() throws Exception {
    GenCerts.Result r = GenCerts.run("-o", dir.resolve("out").toString(), "n1", "bad id");
    assertEquals(1, r.status(), r.output());
    assertTrue(r.output().contains("not a valid node id: 'bad id'"), r.output());
    assertTrue(!Files.exists(dir.resolve("out/ca.crt")));
  }
}
