package raftsimple.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** A command: reaches the root's options, output and client; returns its exit status. */
abstract class CtlCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  Ctl ctl() {
    return (Ctl) spec.root().userObject();
  }

  ClusterClient client() {
    return ctl().client();
  }

  PrintWriter out() {
    return ctl().out;
  }

  PrintWriter err() {
    return ctl().err;
  }
}
