package io.jrun.runtime.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
    @Test
    void parsesEveryKindOfValue() {
        Object v = Json.parse("{\"s\": \"a\\u00e9\\n\\\"\", \"n\": -12, \"big\": 18446744073709551615, \"f\": 1.5e2,"
                + " \"t\": true, \"x\": null, \"l\": [1, [], {}]}");
        Map<?, ?> m = (Map<?, ?>) v;
        assertEquals("a\u00e9\n\"", m.get("s"));
        assertEquals(-12L, m.get("n"));
        assertEquals(new java.math.BigInteger("18446744073709551615"), m.get("big"));
        assertEquals(150.0, m.get("f"));
        assertEquals(true, m.get("t"));
        assertEquals(true, m.containsKey("x"));
        assertEquals(List.of(1L, List.of(), Map.of()), m.get("l"));
    }

    @Test
    void errorsSayLineAndColumn() {
        JsonException e = assertThrows(JsonException.class, () -> Json.parse("{\n  \"a\": [1,\n  2 3]}"));
        assertEquals("line 3, column 5: expected ',' or ']'", e.getMessage());
        assertEquals("line 1, column 12: duplicate key \"a\"",
                assertThrows(JsonException.class, () -> Json.parse("{\"a\":1,\"a\":2}")).getMessage());
        assertThrows(JsonException.class, () -> Json.parse("[1,]"));
        assertThrows(JsonException.class, () -> Json.parse("01"));
        assertThrows(JsonException.class, () -> Json.parse("\"open"));
        assertThrows(JsonException.class, () -> Json.parse("{} {}"));
        assertThrows(JsonException.class, () -> Json.parse("[".repeat(600)));
    }

    @Test
    void writerOutputParsesBackToTheSameValue() {
        Object v = Json.parse("{\"a\": [\"x\\ty\", 2, false, null, {\"b\": {}}], \"c\": \"\\u0001\"}");
        assertEquals(v, Json.parse(JsonWriter.write(v)));
        assertEquals(v, Json.parse(JsonWriter.pretty(v)));
        assertEquals("{\"a\":[1,\"b\"]}", JsonWriter.write(Map.of("a", List.of(1L, "b"))));
    }
}
