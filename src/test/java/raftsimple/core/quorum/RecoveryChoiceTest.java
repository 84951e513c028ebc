package raftsimple.core.quorum;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import raftsimple.core.quorum.RecoveryChoice.AcceptedAt;
import raftsimple.core.quorum.RecoveryChoice.Kind;

/**
 * The recovery coordinator's value choice (docs/PROTOCOL.md §5.3) as a table: each row is a quorum
 * of promises and the choice it must lead to. Voters are single letters; values are P, Q, R; a
 * round-0 proposal's proposer always voted for it first.
 */
class RecoveryChoiceTest {
  private record Row(
      String name,
      String voters,
      String promised,
      String round0Votes,
      String accepted,
      String proposers,
      Kind kind,
      String value) {}

  private static final Row[] TABLE = {
    new Row("an accepted value wins over round-0 votes", "abc", "ab", "a:P b:Q", "b:1/c/R",
        "P:a Q:b", Kind.ACCEPTED, "R"),
    new Row("the highest accepted ballot wins", "abcde", "abc", "", "a:1/e/P b:2/a/Q c:2/b/R",
        "", Kind.ACCEPTED, "R"),
    new Row("ballots compare by round before node", "abc", "ab", "", "a:3/a/P b:2/z/Q", "",
        Kind.ACCEPTED, "P"),
    new Row("proposer in the quorum => not committed", "abc", "ab", "a:P b:P", "", "P:a",
        Kind.FREE, null),
    new Row("one proposal might be committed (proposer silent)", "abc", "bc", "b:P c:Q", "",
        "P:a Q:c", Kind.MIGHT_BE_COMMITTED, "P"),
    new Row("a vote outside the quorum is counted as possible", "abcde", "abc", "a:P b:Q c:Q", "",
        "P:d Q:b", Kind.MIGHT_BE_COMMITTED, "P"),
    new Row("other proposers outside the quorum are not possible votes", "abcde", "abc",
        "a:P b:Q c:R", "", "P:d Q:e R:c", Kind.FREE, null),
    new Row("no round-0 votes at all => free", "abc", "ab", "", "", "P:c", Kind.FREE, null),
    new Row("two might be committed => wait (7 voters, 3 silent)", "abcdefg", "abcd",
        "a:P b:P c:Q d:Q", "", "P:e Q:f", Kind.WAIT, null),
    new Row("same, but the fifth promise settles it", "abcdefg", "abcdg",
        "a:P b:P c:Q d:Q g:P", "", "P:e Q:f", Kind.MIGHT_BE_COMMITTED, "P"),
    // The brief's worked 3-voter example (docs "Durability order"): n0 proposes P0, n1 proposes
    // P1, n2 votes P1, so n1 may have decided P1. Promises from {n0, n2}: P1's proposer is silent
    // and P1 has a vote in the quorum, so P1 must be chosen.
    new Row("brief: decided P1 is found through n2's vote", "xyz", "xz", "x:P z:Q", "",
        "P:x Q:y", Kind.MIGHT_BE_COMMITTED, "Q"),
    // ... and why a promise must report in-memory state: had n1 (y) promised reporting only its
    // durable vote, the quorum {n0, n1} holds P1's proposer, the rule says "not committed", and the
    // coordinator is free to pick P0. In the core, a node that decided has left the instance and
    // never promises on it.
    new Row("brief: proposer y in the quorum looks undecided", "xyz", "xy", "x:P y:Q", "",
        "P:x Q:y", Kind.FREE, null),
  };

  @Test
  void table() {
    for (Row r : TABLE) {
      RecoveryChoice.Result got = RecoveryChoice.choose(letters(r.voters), new TreeSet<>(letters(r.promised)),
          pairs(r.round0Votes), accepted(r.accepted), pairs(r.proposers));
      assertEquals(r.kind, got.kind(), r.name);
      assertEquals(r.value, got.value(), r.name);
    }
  }

  private static List<String> letters(String s) {
    return s.chars().mapToObj(c -> String.valueOf((char) c)).toList();
  }

  private static Map<String, String> pairs(String s) {
    Map<String, String> out = new TreeMap<>();
    for (String kv : s.split(" ")) {
      if (!kv.isEmpty()) {
        String[] p = kv.split(":");
        out.put(p[0], p[1]);
      }
    }
    return out;
  }

  private static Map<String, AcceptedAt> accepted(String s) {
    Map<String, AcceptedAt> out = new TreeMap<>();
    for (String kv : s.split(" ")) {
      if (!kv.isEmpty()) {
        String[] p = kv.split(":");
        String[] b = p[1].split("/");
        out.put(p[0], new AcceptedAt(Long.parseLong(b[0]), b[1], b[2]));
      }
    }
    return out;
  }

  @Test
  void mightBeCommittedIsSortedAndIgnoresUnknownProposers() {
    List<String> might = RecoveryChoice.mightBeCommitted(letters("abcdefg"), new TreeSet<>(List.of("a", "b", "c", "d")),
        pairs("a:Q b:Q c:P d:P"), pairs("P:f Q:e"));
    assertEquals(List.of("P", "Q"), might);
    // A value with no known proposer is a recovery value, not a round-0 proposal: never "might".
    assertEquals(List.of(), RecoveryChoice.mightBeCommitted(letters("abc"), new TreeSet<>(List.of("b", "c")),
        pairs("b:P"), pairs("")));
  }
}
