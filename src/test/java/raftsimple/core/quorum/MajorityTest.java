package raftsimple.core.quorum;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class MajorityTest {
  @Test
  void majorityIsHalfPlusOne() {
    int[][] table = {{1, 1}, {2, 2}, {3, 2}, {4, 3}, {5, 3}, {6, 4}, {7, 4}, {8, 5}, {9, 5}, {10, 6}};
    for (int[] row : table) {
      assertEquals(row[1], Majority.of(row[0]), "voters=" + row[0]);
    }
  }

  @Test
  void noVotersIsAProgrammerError() {
    assertThrows(IllegalArgumentException.class, () -> Majority.of(0));
  }

  @Test
  void reachedAtMajority() {
    assertFalse(Majority.reached(1, 3));
    assertTrue(Majority.reached(2, 3));
    assertFalse(Majority.reached(2, 4));
    assertTrue(Majority.reached(3, 4));
    assertTrue(Majority.reached(1, 1));
  }

  @Test
  void impossibleWhenTheUnheardCannotMakeUpTheDifference() {
    // H4: 3 voters, 3 proposers each voting for itself: 1 yes, 0 unheard -> split.
    assertTrue(Majority.impossible(1, 0, 3));
    assertFalse(Majority.impossible(1, 1, 3));
    // 5 voters: 1 yes + 1 unheard < 3.
    assertTrue(Majority.impossible(1, 1, 5));
    assertFalse(Majority.impossible(2, 1, 5));
    assertFalse(Majority.impossible(3, 0, 5));
  }
}
