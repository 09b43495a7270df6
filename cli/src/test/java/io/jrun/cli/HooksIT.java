package io.jrun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jrun.runtime.json.Json;
import io.jrun.runtime.testing.TestBundle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** OCI hooks at the points and in the namespaces the runtime-spec names, with the state on stdin. */
class HooksIT extends CliTest {

    static Map<String, Object> hook(String script) {
        return new LinkedHashMap<>(Map.of("path", "/bin/sh", "args", List.of("sh", "-c", script)));
    }

    @Test
    void everyHookRunsWhereAndWhenTheSpecSays() throws Exception {
        Path out = Files.createDirectories(tmp.resolve("out"));
        TestBundle b = TestBundle.in(tmp.resolve("b")).sh("echo program > /shared/program").set("hostname", "hooked");
        b.mount(Map.of("destination", "/shared", "type", "bind", "source", out.toString(),
                "options", List.of("rbind", "rw")));
        Map<String, Object> hooks = new LinkedHashMap<>();
        // runtime namespace: the host's hostname and paths; the state JSON on stdin
        hooks.put("createRuntime", List.of(hook("cat > " + out + "/createRuntime.json")));
        // container namespaces, before pivot_root: the container's hostname, host paths still there
        hooks.put("createContainer", List.of(hook("hostname > " + out + "/createContainer.txt")));
        // container namespaces after start, before the program: the container's own paths
        hooks.put("startContainer", List.of(hook("hostname > /shared/startContainer.txt; test ! -e /shared/program"
                + " && echo before-program >> /shared/startContainer.txt")));
        hooks.put("poststart", List.of(hook("cat > " + out + "/poststart.json")));
        hooks.put("poststop", List.of(hook("cat > " + out + "/poststop.json")));
        b.set("hooks", hooks);
        b.write();
        JrunCli.Result r = jrun.run("run", "--bundle", b.dir().toString(), "hooks-1");
        assertEquals(0, r.exit(), r.stderr());
        Map<?, ?> created = (Map<?, ?>) Json.parse(Files.readString(out.resolve("createRuntime.json")));
        assertEquals("creating", created.get("status"));
        assertEquals("hooks-1", created.get("id"));
        assertTrue((Long) created.get("pid") > 0);
        assertEquals("hooked\n", Files.readString(out.resolve("createContainer.txt")));
        assertEquals("hooked\nbefore-program\n", Files.readString(out.resolve("startContainer.txt")));
        assertEquals("running", ((Map<?, ?>) Json.parse(Files.readString(out.resolve("poststart.json")))).get("status"));
        assertEquals("stopped", ((Map<?, ?>) Json.parse(Files.readString(out.resolve("poststop.json")))).get("status"));
        assertEquals("program\n", Files.readString(out.resolve("program")));
    }

    @Test
    void aFailingCreateHookFailsCreateAndLeavesNothing() throws Exception {
        TestBundle b = TestBundle.in(tmp.resolve("b")).sh("true");
        b.set("hooks", Map.of("createRuntime", List.of(Map.of("path", "/bin/false"))));
        b.write();
        JrunCli.Result r = jrun.run("create", "--bundle", b.dir().toString(), "hooks-2");
        assertEquals(1, r.exit());
        assertEquals("jrun: createRuntime hook /bin/false: exited with status 1\n", r.stderr());
        assertEquals("", jrun.run("list", "-q").stdout());
    }

    @Test
    void aHookPastItsTimeoutIsKilledAndAFailingPoststartOnlyWarns() throws Exception {
        TestBundle slow = TestBundle.in(tmp.resolve("slow")).sh("true");
        slow.set("hooks", Map.of("prestart", List.of(Map.of("path", "/bin/sleep", "args", List.of("sleep", "30"),
                "timeout", 1L))));
        slow.write();
        JrunCli.Result r = jrun.run("run", "--bundle", slow.dir().toString(), "hooks-3");
        assertEquals(1, r.exit());
        assertEquals("jrun: prestart hook /bin/sleep: timed out after 1 s\n", r.stderr());
        TestBundle warn = TestBundle.in(tmp.resolve("warn")).sh("echo ran");
        warn.set("hooks", Map.of("poststart", List.of(Map.of("path", "/bin/false"))));
        warn.write();
        JrunCli.Result w = jrun.run("run", "--bundle", warn.dir().toString(), "hooks-4");
        assertEquals(0, w.exit(), w.stderr());
        assertEquals("ran\n", w.stdout());
        assertEquals("jrun: warning: poststart hook /bin/false: exited with status 1\n", w.stderr());
    }
}
