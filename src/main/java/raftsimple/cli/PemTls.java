package raftsimple.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * An {@link SSLContext} for the CLI from PEM files, as deploy/gen-certs.sh writes them: the CA to
 * trust ({@code --cacert}; else the JVM's default trust store) and, for membership changes under
 * mutual TLS, a client certificate and its PKCS#8 key ({@code --cert}, {@code --key}). Every
 * problem names the file: {@link CtlException} with exit status 2.
 */
final class PemTls {
  private PemTls() {}

  /** Null when no file is given (the JDK's defaults). */
  static SSLContext context(Path caPem, Path certPem, Path keyPem) {
    if ((certPem == null) != (keyPem == null)) {
      throw CtlException.usage("--cert and --key go together: give both or neither");
    }
    if (caPem == null && certPem == null) {
      return null;
    }
    try {
      TrustManagerFactory tmf = null;
      if (caPem != null) {
        KeyStore ts = KeyStore.getInstance("PKCS12");
        ts.load(null, null);
        int i = 0;
        for (Certificate c : certificates(caPem, "--cacert")) {
          ts.setCertificateEntry("ca" + i++, c);
        }
        tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ts);
      }
      KeyManagerFactory kmf = null;
      if (certPem != null) {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        char[] pw = "raftsimplectl".toCharArray();
        ks.setKeyEntry("client", privateKey(keyPem), pw,
            certificates(certPem, "--cert").toArray(new Certificate[0]));
        kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, pw);
      }
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf == null ? null : tmf.getTrustManagers(), null);
      return ctx;
    } catch (GeneralSecurityException | IOException e) {
      throw CtlException.usage("cannot set up TLS: " + e.getMessage());
    }
  }

  private static List<Certificate> certificates(Path pem, String option) {
    try (InputStream in = Files.newInputStream(pem)) {
      List<Certificate> list = new ArrayList<>(CertificateFactory.getInstance("X.509").generateCertificates(in));
      if (list.isEmpty()) {
        throw CtlException.usage(option + " " + pem + ": no certificate in it");
      }
      return list;
    } catch (NoSuchFileException e) {
      throw CtlException.usage(option + " " + pem + ": no such file");
    } catch (IOException e) {
      throw CtlException.usage(option + " " + pem + ": cannot read it: " + e.getMessage());
    } catch (GeneralSecurityException e) {
      throw CtlException.usage(option + " " + pem + ": not a PEM certificate: " + e.getMessage());
    }
  }

  /** A PKCS#8 PEM key ("BEGIN PRIVATE KEY"), EC (as gen-certs.sh writes) or RSA. */
  private static PrivateKey privateKey(Path pem) {
    String text;
    try {
      text = Files.readString(pem, StandardCharsets.US_ASCII);
    } catch (NoSuchFileException e) {
      throw CtlException.usage("--key " + pem + ": no such file");
    } catch (IOException e) {
      throw CtlException.usage("--key " + pem + ": cannot read it: " + e.getMessage());
    }
    String begin = "-----BEGIN PRIVATE KEY-----";
    String end = "-----END PRIVATE KEY-----";
    int b = text.indexOf(begin);
    int e = text.indexOf(end);
    if (b < 0 || e < b) {
      throw CtlException.usage("--key " + pem + ": not a PKCS#8 PEM private key (BEGIN PRIVATE KEY)");
    }
    byte[] der = Base64.getMimeDecoder().decode(text.substring(b + begin.length(), e));
    for (String algorithm : List.of("EC", "RSA", "Ed25519")) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
      } catch (GeneralSecurityException tryNext) {
        // not this algorithm
      }
    }
    throw CtlException.usage("--key " + pem + ": neither an EC, RSA nor Ed25519 key");
  }
}
