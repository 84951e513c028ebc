package raftsimple.config;

import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Creates the self-signed certificate of a node started without TLS files (the no-config default):
 * an EC P-256 key and a 10-year certificate for {@code localhost}, {@code 127.0.0.1} and the
 * configured host, written as PEM to {@code <dataDir>/tls/node.crt} and {@code node.key} (mode
 * 600). Both files are written through a temporary file and an atomic rename, key first, so a crash
 * leaves either a usable pair or a missing certificate, which makes the next start generate again.
 */
final class SelfSigned {
  static final String DIR = "tls";
  static final String CERT = "node.crt";
  static final String KEY = "node.key";
  private static final Duration VALIDITY = Duration.ofDays(3_650);

  private SelfSigned() {}

  /** Generates and writes a new pair for {@code nodeId} at {@code host} into {@code dir}. */
  static void generate(Path dir, String nodeId, String host) throws IOException {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
      KeyPair pair = generator.generateKeyPair();
      X509Certificate cert = certificate(pair, nodeId, host);
      Files.createDirectories(dir.getParent()); // dataDir: default permissions, storage owns it
      Files.createDirectories(dir, permissions("rwx------"));
      write(dir.resolve(KEY), pem("PRIVATE KEY", pair.getPrivate().getEncoded()), "rw-------");
      write(dir.resolve(CERT), pem("CERTIFICATE", cert.getEncoded()), "rw-r--r--");
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IllegalStateException("cannot generate a self-signed certificate: " + e, e);
    }
  }

  private static X509Certificate certificate(KeyPair pair, String nodeId, String host)
      throws GeneralSecurityException, OperatorCreationException, IOException {
    X500Name name = new X500Name("CN=raftsimple " + nodeId);
    Instant now = Instant.now();
    X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
        name,
        new BigInteger(127, new SecureRandom()),
        Date.from(now.minus(Duration.ofDays(1))), // tolerate clocks a little behind ours
        Date.from(now.plus(VALIDITY)),
        name,
        pair.getPublic());
    builder.addExtension(Extension.subjectAlternativeName, false, subjectAltNames(host));
    builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
    builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
    builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
        new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
    var signer = new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate());
    return new JcaX509CertificateConverter().getCertificate(builder.build(signer));
  }

  /** DNS:localhost, IP:127.0.0.1 and the host (as IP or DNS name), unless it is a wildcard. */
  static GeneralNames subjectAltNames(String host) {
    Set<String> dns = new LinkedHashSet<>(List.of("localhost"));
    Set<String> ips = new LinkedHashSet<>(List.of("127.0.0.1"));
    if (isIpLiteral(host)) {
      if (!host.equals("0.0.0.0") && !host.equals("::")) {
        ips.add(host);
      }
    } else {
      dns.add(host);
    }
    List<GeneralName> names = new ArrayList<>();
    dns.forEach(d -> names.add(new GeneralName(GeneralName.dNSName, d)));
    ips.forEach(ip -> names.add(new GeneralName(GeneralName.iPAddress, ip)));
    return new GeneralNames(names.toArray(new GeneralName[0]));
  }

  static boolean isIpLiteral(String host) {
    if (!host.matches("[0-9.]+|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*")) {
      return false;
    }
    try {
      InetAddress.getByName(host); // literal: parsed without a lookup
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static String pem(String type, byte[] der) {
    String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
        .encodeToString(der);
    return "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
  }

  /** Writes via a temporary file created with {@code perms} and an atomic rename. */
  private static void write(Path target, String content, String perms) throws IOException {
    Path tmp = Files.createTempFile(target.getParent(), target.getFileName() + ".", ".tmp",
        permissions(perms));
    try {
      Files.writeString(tmp, content, StandardCharsets.US_ASCII);
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** POSIX permissions where the file system has them; none elsewhere (e.g. Windows). */
  private static FileAttribute<?>[] permissions(String perms) {
    boolean posix = java.nio.file.FileSystems.getDefault()
        .supportedFileAttributeViews().contains("posix");
    return posix
        ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(
            PosixFilePermissions.fromString(perms))}
        : new FileAttribute<?>[0];
  }
}
