package raftsimple.tools;

import java.util.ArrayList;
import java.util.List;
import raftsimple.cli.Ctl;
import raftsimple.cli.ExitCodes;

/**
 * {@code deploy/verify-chain.sh}: verifies a node's whole hash chain through its public API, the
 * same check as {@code raftsimplectl verify} (which it runs).
 *
 * <pre>java -cp target/raftsimple.jar raftsimple.tools.VerifyChain https://127.0.0.1:6969 [ca.crt]</pre>
 *
 * Exit status 0 when the chain verifies, 1 when it does not (the first problem is printed), 2 on
 * a usage error (e.g. the CA file is missing), 3 when the node cannot be reached (connection
 * refused, TLS handshake failed: without the CA file a self-signed node is not trusted).
 */
public final class VerifyChain {
  private VerifyChain() {}

  public static void main(String[] args) {
    if (args.length < 1 || args.length > 2) {
      System.err.println("usage: verify-chain.sh <node url> [ca certificate PEM]");
      System.exit(ExitCodes.USAGE);
    }
    List<String> ctl = new ArrayList<>(List.of("verify", "--endpoints", args[0]));
    if (args.length == 2) {
      ctl.addAll(List.of("--cacert", args[1]));
    }
    System.exit(Ctl.run(ctl.toArray(new String[0])));
  }
}
