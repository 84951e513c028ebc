package raftsimple.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import raftsimple.statemachine.Applied;
import raftsimple.statemachine.StateMachine;
import raftsimple.statemachine.StateMachines;
import raftsimple.statemachine.Verdict;

class BankStateMachineTest {
  private static final ObjectMapper M = new ObjectMapper();
  private BankStateMachine bank;

  private static JsonNode json(String s) {
    try {
      return M.readTree(s);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private String ok(String payload) {
    Applied a = bank.apply(json(payload));
    assertTrue(a.ok(), () -> payload + " refused: " + a.reason());
    return a.result().toString();
  }

  private String refused(String payload) {
    byte[] before = bank.snapshot();
    Verdict v = bank.validate(json(payload));
    Applied a = bank.apply(json(payload));
    assertFalse(v.accepted());
    assertFalse(a.ok());
    assertEquals(v.reason(), a.reason());
    assertArrayEquals(before, bank.snapshot(), "a refusal changes nothing");
    return a.reason();
  }

  private long balance(String account) {
    return bank.read(account).orElseThrow().get("balance").longValue();
  }

  @BeforeEach
  void openAccounts() {
    bank = new BankStateMachine();
    ok("{\"op\":\"open\",\"account\":\"alice\"}");
    ok("{\"op\":\"open\",\"account\":\"bob\"}");
  }

  @Test
  void operations_andTheirResults() {
    assertEquals("{\"account\":\"carol\",\"balance\":0}", ok("{\"op\":\"open\",\"account\":\"carol\"}"));
    assertEquals("{\"account\":\"alice\",\"balance\":100}", ok("{\"op\":\"deposit\",\"account\":\"alice\",\"amount\":100}"));
    assertEquals("{\"account\":\"alice\",\"balance\":70}", ok("{\"op\":\"withdraw\",\"account\":\"alice\",\"amount\":30}"));
    assertEquals("{\"from\":{\"account\":\"alice\",\"balance\":50},\"to\":{\"account\":\"bob\",\"balance\":20}}",
        ok("{\"op\":\"transfer\",\"from\":\"alice\",\"to\":\"bob\",\"amount\":20}"));
    assertEquals(50, balance("alice"));
    assertEquals(20, balance("bob"));
    assertEquals("{\"balance\":0}", bank.read("carol").orElseThrow().toString());
    assertEquals(Optional.empty(), bank.read("nobody"));
  }

  @Test
  void overdrafts_areRefusedNamingBalanceAndAmount() {
    ok("{\"op\":\"deposit\",\"account\":\"alice\",\"amount\":5}");
    assertEquals("insufficient funds: account \"alice\" has balance 5, cannot withdraw 7",
        refused("{\"op\":\"withdraw\",\"account\":\"alice\",\"amount\":7}"));
    assertEquals("insufficient funds: account \"alice\" has balance 5, cannot transfer 6",
        refused("{\"op\":\"transfer\",\"from\":\"alice\",\"to\":\"bob\",\"amount\":6}"));
    assertEquals("{\"account\":\"alice\",\"balance\":0}", ok("{\"op\":\"withdraw\",\"account\":\"alice\",\"amount\":5}"));
  }

  @Test
  void overflow_isRefused() {
    ok("{\"op\":\"deposit\",\"account\":\"bob\",\"amount\":" + Long.MAX_VALUE + "}");
    ok("{\"op\":\"deposit\",\"account\":\"alice\",\"amount\":1}");
    assertEquals("account \"bob\" cannot hold more than " + Long.MAX_VALUE,
        refused("{\"op\":\"deposit\",\"account\":\"bob\",\"amount\":1}"));
    assertEquals("account \"bob\" cannot hold more than " + Long.MAX_VALUE,
        refused("{\"op\":\"transfer\",\"from\":\"alice\",\"to\":\"bob\",\"amount\":1}"));
    assertEquals(1, balance("alice"), "the debit half of a refused transfer did not happen");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "[]                                                   | a bank payload must be a JSON object with an \"op\": open, deposit, withdraw or transfer",
        "{\"account\":\"a\"}                                  | \"op\" must be a string: open, deposit, withdraw or transfer",
        "{\"op\":\"close\",\"account\":\"alice\"}             | unknown op \"close\": expected open, deposit, withdraw or transfer",
        "{\"op\":\"open\",\"account\":\"alice\"}              | account \"alice\" already exists",
        "{\"op\":\"open\",\"account\":\"\"}                   | \"account\" must be a non-empty string (an account name)",
        "{\"op\":\"open\"}                                    | \"account\" must be a non-empty string (an account name)",
        "{\"op\":\"deposit\",\"account\":\"carol\",\"amount\":1} | no account \"carol\" (open it first)",
        "{\"op\":\"deposit\",\"account\":\"alice\"}           | \"amount\" must be a positive whole number, got nothing",
        "{\"op\":\"deposit\",\"account\":\"alice\",\"amount\":0}   | \"amount\" must be a positive whole number, got 0",
        "{\"op\":\"deposit\",\"account\":\"alice\",\"amount\":-5}  | \"amount\" must be a positive whole number, got -5",
        "{\"op\":\"deposit\",\"account\":\"alice\",\"amount\":1.5} | \"amount\" must be a positive whole number, got 1.5",
        "{\"op\":\"deposit\",\"account\":\"alice\",\"amount\":\"5\"} | \"amount\" must be a positive whole number, got \"5\"",
        "{\"op\":\"deposit\",\"account\":\"alice\",\"amount\":99999999999999999999} | \"amount\" must be a positive whole number, got 99999999999999999999",
        "{\"op\":\"transfer\",\"from\":\"alice\",\"to\":\"alice\",\"amount\":1} | cannot transfer from account \"alice\" to itself",
        "{\"op\":\"transfer\",\"from\":\"alice\",\"to\":\"zed\",\"amount\":1}   | no account \"zed\" (open it first)",
      })
  void badRequests_areRefusedWithAReason(String payload, String reason) {
    assertEquals(reason, refused(payload));
  }

  @Test
  void snapshot_isSortedAndRoundTrips() {
    ok("{\"op\":\"deposit\",\"account\":\"bob\",\"amount\":3}");
    byte[] snap = bank.snapshot();
    assertEquals("{\"format\":\"raftsimple.examples.bank\",\"version\":1,\"accounts\":{\"alice\":0,\"bob\":3}}",
        new String(snap, StandardCharsets.UTF_8));
    BankStateMachine other = new BankStateMachine();
    other.restore(snap);
    assertArrayEquals(snap, other.snapshot());
    assertEquals(ok("{\"op\":\"transfer\",\"from\":\"bob\",\"to\":\"alice\",\"amount\":2}"),
        other.apply(json("{\"op\":\"transfer\",\"from\":\"bob\",\"to\":\"alice\",\"amount\":2}")).result().toString());
  }

  @Test
  void restore_refusesBadBytes_andKeepsTheState() {
    byte[] before = bank.snapshot();
    for (String bad : new String[] {
        "", "nope", "{}", "{\"format\":\"raftsimple.examples.bank\",\"version\":2,\"accounts\":{}}",
        "{\"format\":\"raftsimple.examples.bank\",\"version\":1,\"accounts\":{\"a\":-1}}",
        "{\"format\":\"raftsimple.examples.bank\",\"version\":1,\"accounts\":{\"a\":\"1\"}}"}) {
      assertThrows(IllegalArgumentException.class, () -> bank.restore(bad.getBytes(StandardCharsets.UTF_8)), bad);
      assertArrayEquals(before, bank.snapshot());
    }
  }

  @Test
  void loadsByClassName() {
    StateMachine sm = StateMachines.load("raftsimple.examples.BankStateMachine");
    assertInstanceOf(BankStateMachine.class, sm);
    assertTrue(sm.apply(json("{\"op\":\"open\",\"account\":\"x\"}")).ok());
  }
}
