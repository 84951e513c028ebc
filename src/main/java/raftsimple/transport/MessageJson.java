package raftsimple.transport;

import static raftsimple.transport.WireCodec.ballotOrNull;
import static raftsimple.transport.WireCodec.bool;
import static raftsimple.transport.WireCodec.hash;
import static raftsimple.transport.WireCodec.hashOrNull;
import static raftsimple.transport.WireCodec.number;
import static raftsimple.transport.WireCodec.proposalOrNull;
import static raftsimple.transport.WireCodec.putBallot;
import static raftsimple.transport.WireCodec.text;
import static raftsimple.transport.WireCodec.textOrNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import raftsimple.chain.Hash;
import raftsimple.chain.LogEntry;
import raftsimple.core.msg.Message;
import raftsimple.core.msg.Proposal;

/** One protocol message as a JSON object: common fields plus the type's own (docs/TRANSPORTS.md). */
final class MessageJson {
  private MessageJson() {}

  static ObjectNode write(Message m, ObjectMapper mapper) {
    ObjectNode o = mapper.createObjectNode();
    o.put("type", m.getClass().getSimpleName());
    o.put("from", m.from());
    o.put("to", m.to());
    o.put("length", m.length());
    o.put("head", m.head().hex());
    if (m instanceof Message.Propose p) {
      WireCodec.proposal(p.proposal(), o.putObject("proposal"));
    } else if (m instanceof Message.Vote v) {
      o.put("proposalId", v.proposalId().hex());
      o.put("granted", v.granted());
      putHash(o, "votedFor", v.votedFor());
      o.put("votedForProposer", v.votedForProposer());
      o.put("abstained", v.abstained());
    } else if (m instanceof Message.Commit c) {
      o.put("valueId", c.valueId().hex());
    } else if (m instanceof Message.Prepare p) {
      putBallot(o, "ballot", p.ballot());
    } else if (m instanceof Message.Promise p) {
      writePromise(p, o);
    } else if (m instanceof Message.Accept a) {
      putBallot(o, "ballot", a.ballot());
      WireCodec.proposal(a.value(), o.putObject("value"));
    } else if (m instanceof Message.Accepted a) {
      putBallot(o, "ballot", a.ballot());
      o.put("ok", a.ok());
      putBallot(o, "promised", a.promised());
    } else if (m instanceof Message.Status s) {
      o.put("voted", s.voted());
    } else if (m instanceof Message.Fetch f) {
      o.put("fromIndex", f.fromIndex());
      o.put("max", f.max());
    } else if (m instanceof Message.FetchReply r) {
      writeFetchReply(r, o);
      o.put("snapshotLength", r.snapshotLength());
    } else if (m instanceof Message.Forward f) {
      ArrayNode arr = o.putArray("entries");
      for (raftsimple.chain.Entry e : f.entries()) {
        WireCodec.entry(e, arr.addObject());
      }
    } else if (m instanceof Message.SnapshotRead r) {
      o.put("snapshotLength", r.snapshotLength());
      o.put("offset", r.offset());
      o.put("max", r.max());
    } else if (m instanceof Message.SnapshotData d) {
      o.put("snapshotLength", d.snapshotLength());
      o.put("offset", d.offset());
      o.put("total", d.total());
      o.put("data", d.data());
    } else if (m instanceof Message.ReadQuery q) {
      o.put("readRound", q.readRound());
    } else if (m instanceof Message.ReadReply r) {
      o.put("readRound", r.readRound());
      o.put("voted", r.voted());
    }
    return o;
  }

  private static void writePromise(Message.Promise p, ObjectNode o) {
    putBallot(o, "ballot", p.ballot());
    o.put("ok", p.ok());
    putBallot(o, "promised", p.promised());
    putProposal(o, "round0Vote", p.round0Vote());
    putBallot(o, "acceptedBallot", p.acceptedBallot());
    putProposal(o, "acceptedValue", p.acceptedValue());
    o.put("restarted", p.restarted());
  }

  private static void writeFetchReply(Message.FetchReply r, ObjectNode o) {
    o.put("fromIndex", r.fromIndex());
    ArrayNode batches = o.putArray("batches");
    for (List<LogEntry> batch : r.batches()) {
      ArrayNode b = batches.addArray();
      for (LogEntry e : batch) {
        WireCodec.logEntry(e, b.addObject());
      }
    }
  }

  private static void putHash(ObjectNode o, String field, Hash h) {
    if (h == null) {
      o.putNull(field);
    } else {
      o.put(field, h.hex());
    }
  }

  private static void putProposal(ObjectNode o, String field, Proposal p) {
    if (p == null) {
      o.putNull(field);
    } else {
      WireCodec.proposal(p, o.putObject(field));
    }
  }

  static Message read(JsonNode o) {
    if (o == null || !o.isObject()) {
      throw new WireFormatException("a message is not a JSON object");
    }
    String type = text(o, "type");
    String from = text(o, "from");
    String to = text(o, "to");
    long length = number(o, "length");
    if (length < 0) {
      throw new WireFormatException("field 'length' is negative");
    }
    Hash head = hash(o, "head");
    switch (type) {
      case "Propose":
        return new Message.Propose(from, to, length, head, required(proposalOrNull(o, "proposal"), "proposal"));
      case "Vote":
        return new Message.Vote(from, to, length, head, hash(o, "proposalId"), bool(o, "granted"),
            hashOrNull(o, "votedFor"), textOrNull(o, "votedForProposer"), bool(o, "abstained"));
      case "Commit":
        return new Message.Commit(from, to, length, head, hash(o, "valueId"));
      case "Prepare":
        return new Message.Prepare(from, to, length, head, required(ballotOrNull(o, "ballot"), "ballot"));
      case "Promise":
        return new Message.Promise(from, to, length, head, required(ballotOrNull(o, "ballot"), "ballot"),
            bool(o, "ok"), ballotOrNull(o, "promised"), proposalOrNull(o, "round0Vote"),
            ballotOrNull(o, "acceptedBallot"), proposalOrNull(o, "acceptedValue"),
            bool(o, "restarted"));
      case "Accept":
        return new Message.Accept(from, to, length, head, required(ballotOrNull(o, "ballot"), "ballot"),
            required(proposalOrNull(o, "value"), "value"));
      case "Accepted":
        return new Message.Accepted(from, to, length, head, required(ballotOrNull(o, "ballot"), "ballot"),
            bool(o, "ok"), ballotOrNull(o, "promised"));
      case "Status":
        return new Message.Status(from, to, length, head, bool(o, "voted"));
      case "Fetch":
        return new Message.Fetch(from, to, length, head, number(o, "fromIndex"), (int) Math.min(
            Integer.MAX_VALUE, Math.max(0, number(o, "max"))));
      case "FetchReply":
        return new Message.FetchReply(from, to, length, head, number(o, "fromIndex"), batches(o),
            number(o, "snapshotLength"));
      case "Forward":
        return new Message.Forward(from, to, length, head, entries(o));
      case "SnapshotRead":
        return new Message.SnapshotRead(from, to, length, head, number(o, "snapshotLength"),
            number(o, "offset"), (int) Math.min(Integer.MAX_VALUE, Math.max(0, number(o, "max"))));
      case "SnapshotData":
        return new Message.SnapshotData(from, to, length, head, number(o, "snapshotLength"),
            number(o, "offset"), number(o, "total"), binary(o, "data"));
      case "ReadQuery":
        return new Message.ReadQuery(from, to, length, head, number(o, "readRound"));
      case "ReadReply":
        return new Message.ReadReply(from, to, length, head, number(o, "readRound"), bool(o, "voted"));
      default:
        throw new WireFormatException("unknown message type '" + type + "'");
    }
  }

  private static List<List<LogEntry>> batches(JsonNode o) {
    JsonNode arr = o.get("batches");
    if (arr == null || !arr.isArray()) {
      throw new WireFormatException("field 'batches' is missing or not an array");
    }
    List<List<LogEntry>> out = new ArrayList<>(arr.size());
    for (JsonNode b : arr) {
      if (!b.isArray() || b.isEmpty()) {
        throw new WireFormatException("a batch is not a non-empty array");
      }
      List<LogEntry> batch = new ArrayList<>(b.size());
      for (JsonNode e : b) {
        batch.add(WireCodec.logEntry(e));
      }
      out.add(batch);
    }
    return out;
  }

  private static List<raftsimple.chain.Entry> entries(JsonNode o) {
    JsonNode arr = o.get("entries");
    if (arr == null || !arr.isArray()) {
      throw new WireFormatException("field 'entries' is missing or not an array");
    }
    List<raftsimple.chain.Entry> out = new ArrayList<>(arr.size());
    for (JsonNode e : arr) {
      out.add(WireCodec.entry(e));
    }
    return out;
  }

  private static byte[] binary(JsonNode o, String field) {
    JsonNode n = o.get(field);
    try {
      if (n == null || !n.isTextual()) {
        throw new WireFormatException("field '" + field + "' is missing or not base64 text");
      }
      return n.binaryValue();
    } catch (java.io.IOException e) {
      throw new WireFormatException("field '" + field + "' is not valid base64", e);
    }
  }

  private static <T> T required(T value, String field) {
    if (value == null) {
      throw new WireFormatException("field '" + field + "' is missing");
    }
    return value;
  }
}
