package raftsimple.statemachine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class JsonTest {
  private static JsonNode parse(String s) {
    return Json.parse(s.getBytes(StandardCharsets.UTF_8));
  }

  private static String compact(String s) {
    return new String(Json.compact(parse(s)), StandardCharsets.UTF_8);
  }

  @Test
  void compact_removesWhitespaceKeepsFieldOrderAndDecimalsExactly() {
    // Decimals keep their digits and scale; a huge exponent stays finite; BigDecimal has no -0.
    assertEquals("{\"b\":1,\"a\":[1.50,1E+400,0,12345678901234567890,0.0]}",
        compact(" { \"b\" : 1 , \"a\" : [ 1.50, 1e400, -0, 12345678901234567890, -0.0 ] } "));
    assertEquals("null", compact("null"));
  }

  @Test
  void parse_refusesWhatIsNotExactlyOneJsonValue() {
    IllegalArgumentException trailing = assertThrows(IllegalArgumentException.class, () -> parse("{\"a\":1} x"));
    assertTrue(trailing.getMessage().startsWith("not JSON: "), trailing.getMessage());
    assertThrows(IllegalArgumentException.class, () -> parse("{\"a\":1}{}"));
    assertThrows(IllegalArgumentException.class, () -> parse("{\"a\":"));
    assertEquals("not JSON: empty", assertThrows(IllegalArgumentException.class, () -> parse("")).getMessage());
    IllegalArgumentException dup = assertThrows(IllegalArgumentException.class, () -> parse("{\"a\":1,\"a\":2}"));
    assertTrue(dup.getMessage().contains("Duplicate field 'a'"), dup.getMessage());
    assertTrue(dup.getMessage().contains("line 1"), "names the position: " + dup.getMessage());
  }

  @Test
  void sameValue_isJsonEquality() {
    assertTrue(Json.sameValue(parse("1"), parse("1.00")));
    assertTrue(Json.sameValue(parse("{\"a\":[1,{\"b\":2}],\"c\":3}"), parse("{\"c\":3.0,\"a\":[1,{\"b\":2}]}")));
    assertFalse(Json.sameValue(parse("[1,2]"), parse("[2,1]")));
    assertFalse(Json.sameValue(parse("\"1\""), parse("1")));
    assertFalse(Json.sameValue(parse("{\"a\":1}"), parse("{\"a\":1,\"b\":1}")));
    assertFalse(Json.sameValue(parse("null"), null));
    assertTrue(Json.sameValue(null, null));
  }

  @Test
  void typeName_andAbbreviate() {
    assertEquals("object", Json.typeName(parse("{}")));
    assertEquals("absent", Json.typeName(null));
    assertEquals("\"abc...", Json.abbreviate(parse("\"abcdef\""), 4));
  }
}
