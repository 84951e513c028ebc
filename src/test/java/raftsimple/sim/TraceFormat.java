package raftsimple.sim;

import java.util.List;
import raftsimple.chain.Hash;
import raftsimple.chain.LogEntry;
import raftsimple.core.msg.ClientEvent;
import raftsimple.core.msg.Input;
import raftsimple.core.msg.Message;
import raftsimple.core.msg.Proposal;

/**
 * Short, stable renderings of inputs and messages for trace lines (hashes as 8 hex digits). Public
 * so that the core scenario runner ({@code core.ScenarioTest}) prints the same way.
 */
public final class TraceFormat {
  private TraceFormat() {}

  public static String message(Message m) {
    String pos = m.from() + ">" + m.to() + " L" + m.length() + "@" + h(m.head());
    if (m instanceof Message.Propose p) {
      return "Propose " + pos + " " + p(p.proposal());
    } else if (m instanceof Message.Vote v) {
      return "Vote " + pos + " " + h(v.proposalId()) + (v.granted() ? " yes"
          : v.abstained() ? " abstain" : " no(" + h(v.votedFor()) + "/" + v.votedForProposer() + ")");
    } else if (m instanceof Message.Commit c) {
      return "Commit " + pos + " " + h(c.valueId());
    } else if (m instanceof Message.Prepare p) {
      return "Prepare " + pos + " b" + p.ballot();
    } else if (m instanceof Message.Promise p) {
      return "Promise " + pos + " b" + p.ballot() + (p.ok() ? " ok vote=" + p(p.round0Vote())
          + " acc=" + p.acceptedBallot() + ":" + p(p.acceptedValue()) + (p.restarted() ? " restarted" : "")
          : " nack promised=" + p.promised());
    } else if (m instanceof Message.Accept a) {
      return "Accept " + pos + " b" + a.ballot() + " " + p(a.value());
    } else if (m instanceof Message.Accepted a) {
      return "Accepted " + pos + " b" + a.ballot() + (a.ok() ? " ok" : " nack " + a.promised());
    } else if (m instanceof Message.Status s) {
      return "Status " + pos + (s.voted() ? " voted" : "");
    } else if (m instanceof Message.Fetch f) {
      return "Fetch " + pos + " from=" + f.fromIndex() + " max=" + f.max();
    } else if (m instanceof Message.FetchReply r) {
      return "FetchReply " + pos + " from=" + r.fromIndex() + " batches=" + sizes(r.batches());
    } else if (m instanceof Message.ReadQuery q) {
      return "ReadQuery " + pos + " r" + q.readRound();
    } else if (m instanceof Message.ReadReply r) {
      return "ReadReply " + pos + " r" + r.readRound() + (r.voted() ? " voted" : "");
    } else if (m instanceof Message.Forward f) {
      StringBuilder b = new StringBuilder("Forward " + pos);
      for (raftsimple.chain.Entry e : f.entries()) {
        b.append(' ').append(h(e.txid()));
      }
      return b.toString();
    }
    return m.toString();
  }

  public static String input(Input in) {
    if (in instanceof Input.Receive r) {
      return message(r.message());
    } else if (in instanceof Input.Submit s) {
      return "ref=" + s.ref() + " wall=" + s.wallMs() + " " + new String(s.payload(),
          java.nio.charset.StandardCharsets.UTF_8);
    } else if (in instanceof Input.Tick t) {
      return "mono=" + t.nowMs();
    } else if (in instanceof Input.ReadBarrier b) {
      return "ref=" + b.ref();
    } else if (in instanceof Input.SnapshotTaken t) {
      return "L" + t.length() + " retain=" + t.retainEntries();
    } else if (in instanceof Input.SnapshotInstalled i) {
      return "L" + i.length() + "@" + h(i.head()) + " " + i.membership();
    } else if (in instanceof Input.Persisted p) {
      return "records=" + p.records();
    } else if (in instanceof Input.PeerDown d) {
      return d.peer() + " (" + d.reason() + ")";
    } else if (in instanceof Input.PeerUp u) {
      return u.peer();
    }
    return in.toString();
  }

  public static String client(ClientEvent e) {
    if (e instanceof ClientEvent.Assigned a) {
      return "assigned ref=" + a.ref() + " " + h(a.txid());
    } else if (e instanceof ClientEvent.Refused r) {
      return "refused ref=" + r.ref() + " " + r.code();
    } else if (e instanceof ClientEvent.ReadReady r) {
      return "read-ready ref=" + r.ref() + " length=" + r.length();
    } else if (e instanceof ClientEvent.ReadFailed f) {
      return "read-failed ref=" + f.ref();
    } else if (e instanceof ClientEvent.SystemApplied s) {
      return "system-applied " + h(s.txid()) + " at " + s.index()
          + (s.ok() ? " ok" : " refused: " + s.reason());
    } else if (e instanceof ClientEvent.QueueDropped d) {
      return "queue-dropped " + d.txids().size() + " entries";
    }
    return e.toString();
  }

  static String p(Proposal p) {
    return p == null ? "-" : "P" + h(p.id()) + "/" + p.proposer() + "x" + p.entries().size();
  }

  public static String h(Hash h) {
    return h == null ? "-" : h.shortHex();
  }

  private static String sizes(List<List<LogEntry>> batches) {
    StringBuilder b = new StringBuilder("[");
    for (List<LogEntry> batch : batches) {
      b.append(b.length() > 1 ? "," : "").append(batch.size());
    }
    return b.append("]").toString();
  }
}
