package raftsimple.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ValuesTest {
  @Test
  void jsonWhenItParsesElseTheString() {
    assertTrue(Values.parse("42").isInt());
    assertTrue(Values.parse("1.50").isBigDecimal());
    assertEquals("1.50", Values.compact(Values.parse("1.50")), "numbers as written");
    assertTrue(Values.parse("true").isBoolean());
    assertTrue(Values.parse("null").isNull());
    assertEquals("{\"a\":[1]}", Values.compact(Values.parse(" {\"a\": [1]} ")));
    assertEquals("blue", Values.parse("\"blue\"").asText());
    for (String s : new String[] {"blue", "hello world", "{not json", "1 2", "", "tru"}) {
      assertTrue(Values.parse(s).isTextual(), s);
      assertEquals(s, Values.parse(s).asText());
    }
  }

  @Test
  void printsAStringAsItsTextAndTheRestAsJson() {
    assertEquals("blue", Values.print(Values.parse("blue")));
    assertEquals("42", Values.print(Values.parse("42")));
    assertEquals("[\"a\",1]", Values.print(Values.parse("[\"a\", 1]")));
  }
}
