package io.jrun.image.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ChallengeTest {
    @Test
    void dockerHubsBearerChallenge() {
        List<Challenge> c = Challenge.parse("Bearer realm=\"https://auth.docker.io/token\","
                + "service=\"registry.docker.io\",scope=\"repository:library/busybox:pull\"");
        assertEquals(List.of(new Challenge("bearer", Map.of("realm", "https://auth.docker.io/token",
                "service", "registry.docker.io", "scope", "repository:library/busybox:pull"))), c);
    }

    @Test
    void basicChallengeWithSpacesAndOddCase() {
        assertEquals(List.of(new Challenge("basic", Map.of("realm", "basic-realm"))),
                Challenge.parse("  BASIC   Realm = \"basic-realm\" "));
    }

    @Test
    void quotedValuesKeepCommasAndEscapes() {
        List<Challenge> c = Challenge.parse("Bearer realm=\"https://a/t\",scope=\"repository:a:pull,push\","
                + "error=\"insufficient_scope\",x=\"say \\\"hi\\\"\"");
        assertEquals("repository:a:pull,push", c.get(0).parameter("scope"));
        assertEquals("insufficient_scope", c.get(0).parameter("error"));
        assertEquals("say \"hi\"", c.get(0).parameter("x"));
    }

    @Test
    void bareValuesAndSeveralChallengesInOneHeader() {
        List<Challenge> c = Challenge.parse("Basic realm=registry, Bearer realm=https://auth.example/token,service=reg");
        assertEquals(2, c.size());
        assertEquals(new Challenge("basic", Map.of("realm", "registry")), c.get(0));
        assertEquals(new Challenge("bearer", Map.of("realm", "https://auth.example/token", "service", "reg")), c.get(1));
    }

    @Test
    void nothingToParse() {
        assertEquals(List.of(), Challenge.parse(null));
        assertEquals(List.of(), Challenge.parse(""));
        assertEquals(List.of(new Challenge("negotiate", Map.of())), Challenge.parse("Negotiate"));
    }
}
