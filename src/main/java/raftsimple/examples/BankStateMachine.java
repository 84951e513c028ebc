package raftsimple.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import raftsimple.statemachine.Applied;
import raftsimple.statemachine.StateMachine;
import raftsimple.statemachine.Verdict;

/**
 * A second state machine, written against the public {@link StateMachine} interface only, as a
 * model for your own (see docs/STATE_MACHINES.md). Run it with {@code "stateMachine":
 * "raftsimple.examples.BankStateMachine"}.
 *
 * <p>Accounts hold whole-number balances that never go below zero. Payloads:
 *
 * <pre>
 *   {"op":"open",     "account":"alice"}                    → {"account":"alice","balance":0}
 *   {"op":"deposit",  "account":"alice","amount":100}       → {"account":"alice","balance":100}
 *   {"op":"withdraw", "account":"alice","amount":30}        → {"account":"alice","balance":70}
 *   {"op":"transfer", "from":"alice","to":"bob","amount":20}
 *       → {"from":{"account":"alice","balance":50},"to":{"account":"bob","balance":20}}
 * </pre>
 *
 * Refused (409 REJECTED, with a reason): an unknown op, a missing or empty account name, opening an
 * account twice, using an account that does not exist, an amount that is not a positive whole
 * number, an overdraft, a balance that would overflow a {@code long}, a transfer to the same account.
 * {@code GET /kv/alice} reads {@code {"balance":70}}.
 *
 * <p>How it stays deterministic: balances live in a {@link TreeMap} (one iteration order on every
 * node, so snapshots are byte-identical); no clock, randomness or I/O; arithmetic uses
 * {@link Math#addExact} so overflow is a refusal, not a silent wrap. {@link #validate} and {@link
 * #apply} share one {@link #plan} that computes the effect without mutating, so they cannot disagree;
 * {@link #apply} then commits the planned balances.
 */
public final class BankStateMachine implements StateMachine {
  /** The example's own mapper: a plug-in does not need the node's internals. */
  private static final ObjectMapper JSON = new ObjectMapper();

  public static final int ACCOUNT_CHARS_MAX = 256;
  private static final String SNAPSHOT_FORMAT = "raftsimple.examples.bank";
  private static final int SNAPSHOT_VERSION = 1;

  private TreeMap<String, Long> balances = new TreeMap<>();

  /** A planned effect: the balances to write and the client's result. */
  private record Plan(Map<String, Long> writes, JsonNode result) {}

  /** Why a request is refused. Stackless: it is an answer, not a failure. */
  private static final class Refusal extends Exception {
    Refusal(String reason) {
      super(reason, null, false, false);
    }
  }

  @Override
  public Verdict validate(JsonNode payload) {
    try {
      plan(payload);
      return Verdict.accept();
    } catch (Refusal r) {
      return Verdict.reject(r.getMessage());
    }
  }

  @Override
  public Applied apply(JsonNode payload) {
    Plan p;
    try {
      p = plan(payload);
    } catch (Refusal r) {
      return Applied.rejected(r.getMessage());
    }
    balances.putAll(p.writes());
    return Applied.result(p.result());
  }

  @Override
  public Optional<JsonNode> read(String account) {
    Long balance = balances.get(account);
    return balance == null ? Optional.empty() : Optional.of(JSON.createObjectNode().put("balance", balance));
  }

  /** Computes what {@code payload} would do to the current balances; changes nothing. */
  private Plan plan(JsonNode payload) throws Refusal {
    if (payload == null || !payload.isObject()) {
      throw new Refusal("a bank payload must be a JSON object with an \"op\": open, deposit, withdraw or transfer");
    }
    JsonNode op = payload.get("op");
    if (op == null || !op.isTextual()) {
      throw new Refusal("\"op\" must be a string: open, deposit, withdraw or transfer");
    }
    switch (op.textValue()) {
      case "open":
        return open(name(payload, "account"));
      case "deposit":
        return deposit(existing(payload, "account"), amount(payload));
      case "withdraw":
        return withdraw(existing(payload, "account"), amount(payload));
      case "transfer":
        return transfer(existing(payload, "from"), existing(payload, "to"), amount(payload));
      default:
        throw new Refusal("unknown op \"" + op.textValue() + "\": expected open, deposit, withdraw or transfer");
    }
  }

  private Plan open(String account) throws Refusal {
    if (balances.containsKey(account)) {
      throw new Refusal("account \"" + account + "\" already exists");
    }
    return new Plan(Map.of(account, 0L), accountResult(account, 0));
  }

  private Plan deposit(String account, long amount) throws Refusal {
    long after = credit(account, amount);
    return new Plan(Map.of(account, after), accountResult(account, after));
  }

  private Plan withdraw(String account, long amount) throws Refusal {
    long after = debit(account, amount, "withdraw");
    return new Plan(Map.of(account, after), accountResult(account, after));
  }

  private Plan transfer(String from, String to, long amount) throws Refusal {
    if (from.equals(to)) {
      throw new Refusal("cannot transfer from account \"" + from + "\" to itself");
    }
    long fromAfter = debit(from, amount, "transfer");
    long toAfter = credit(to, amount);
    ObjectNode result = JSON.createObjectNode();
    result.set("from", accountResult(from, fromAfter));
    result.set("to", accountResult(to, toAfter));
    // Never iterate a two-entry Map.of: its order varies between JVM runs, and replicas must agree.
    TreeMap<String, Long> writes = new TreeMap<>(Map.of(from, fromAfter, to, toAfter));
    return new Plan(writes, result);
  }

  private long credit(String account, long amount) throws Refusal {
    try {
      return Math.addExact(balances.get(account), amount);
    } catch (ArithmeticException overflow) {
      throw new Refusal("account \"" + account + "\" cannot hold more than " + Long.MAX_VALUE);
    }
  }

  private long debit(String account, long amount, String what) throws Refusal {
    long balance = balances.get(account);
    if (balance < amount) {
      throw new Refusal("insufficient funds: account \"" + account + "\" has balance " + balance
          + ", cannot " + what + " " + amount);
    }
    return balance - amount;
  }

  private static ObjectNode accountResult(String account, long balance) {
    return JSON.createObjectNode().put("account", account).put("balance", balance);
  }

  // ---- field checks ----

  private static String name(JsonNode payload, String field) throws Refusal {
    JsonNode n = payload.get(field);
    if (n == null || !n.isTextual() || n.textValue().isEmpty()) {
      throw new Refusal("\"" + field + "\" must be a non-empty string (an account name)");
    }
    if (n.textValue().length() > ACCOUNT_CHARS_MAX) {
      throw new Refusal("\"" + field + "\" is longer than " + ACCOUNT_CHARS_MAX + " characters");
    }
    return n.textValue();
  }

  private String existing(JsonNode payload, String field) throws Refusal {
    String account = name(payload, field);
    if (!balances.containsKey(account)) {
      throw new Refusal("no account \"" + account + "\" (open it first)");
    }
    return account;
  }

  private static long amount(JsonNode payload) throws Refusal {
    JsonNode n = payload.get("amount");
    if (n == null || !n.isIntegralNumber() || !n.canConvertToLong() || n.longValue() <= 0) {
      throw new Refusal("\"amount\" must be a positive whole number, got " + (n == null ? "nothing" : n.toString()));
    }
    return n.longValue();
  }

  // ---- snapshots ----

  /** {@code {"format":..., "version":1, "accounts":{name: balance, ...}}}, names sorted. */
  @Override
  public byte[] snapshot() {
    ObjectNode root = JSON.createObjectNode();
    root.put("format", SNAPSHOT_FORMAT).put("version", SNAPSHOT_VERSION);
    ObjectNode accounts = root.putObject("accounts");
    balances.forEach(accounts::put);
    try {
      return JSON.writeValueAsBytes(root);
    } catch (IOException e) {
      throw new IllegalStateException("cannot serialize the bank snapshot", e);
    }
  }

  @Override
  public void restore(byte[] snapshot) {
    JsonNode root;
    try {
      root = JSON.readTree(snapshot);
    } catch (IOException e) {
      throw new IllegalArgumentException("bank snapshot is not JSON: " + e.getMessage(), e);
    }
    if (root == null || !SNAPSHOT_FORMAT.equals(root.path("format").textValue())
        || root.path("version").intValue() != SNAPSHOT_VERSION || !root.path("accounts").isObject()) {
      throw new IllegalArgumentException(
          "not a bank snapshot: expected {\"format\":\"" + SNAPSHOT_FORMAT + "\",\"version\":1,\"accounts\":{...}}");
    }
    TreeMap<String, Long> restored = new TreeMap<>();
    for (Map.Entry<String, JsonNode> a : root.get("accounts").properties()) {
      JsonNode b = a.getValue();
      if (a.getKey().isEmpty() || !b.isIntegralNumber() || !b.canConvertToLong() || b.longValue() < 0) {
        throw new IllegalArgumentException("bank snapshot: bad account \"" + a.getKey() + "\": " + b);
      }
      restored.put(a.getKey(), b.longValue());
    }
    balances = restored; // only now: a bad snapshot leaves the state as it was
  }
}
