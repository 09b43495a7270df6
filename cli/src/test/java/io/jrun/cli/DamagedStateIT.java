package io.jrun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jrun.runtime.testing.TestBundle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A container's state.json corrupt, truncated, missing, a FIFO or naming a cgroup jrun did not make:
 * delete without --force refuses and keeps the state, no command hangs, and delete --force still kills
 * the init (found through the container's cgroup) and removes its cgroups and state.
 */
class DamagedStateIT extends CliTest {
    record Created(String id, long pid, List<Path> cgroups, Path state) {}

    Created create() throws Exception {
        TestBundle b = TestBundle.in(tmp.resolve("b-" + UUID.randomUUID().toString().substring(0, 6)))
                .sh("exec sleep 100");
        String id = "dmg-" + UUID.randomUUID().toString().substring(0, 8);
        Path pidFile = tmp.resolve(id + ".pid");
        JrunCli.Result r = jrun.run("create", "--bundle", b.write().toString(), "--pid-file", pidFile.toString(), id);
        assertEquals(0, r.exit(), r.stderr());
        long pid = Long.parseLong(Files.readString(pidFile));
        List<Path> cgroups = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/cgroup"))) {
            String[] f = line.split(":", 3);
            if (f[1].equals("memory") || f[1].equals("pids")) {
                cgroups.add(Path.of("/sys/fs/cgroup/" + f[1] + f[2]));
            }
        }
        assertEquals(2, cgroups.size(), "the init's memory and pids cgroups");
        assertTrue(Files.isDirectory(cgroups.get(0)), cgroups.get(0).toString());
        return new Created(id, pid, cgroups, jrun.stateRoot().resolve(id).resolve("state.json"));
    }

    static boolean alive(long pid) throws Exception {
        try {
            return !Files.readString(Path.of("/proc/" + pid + "/stat")).contains(") Z ");
        } catch (java.nio.file.NoSuchFileException e) {
            return false; // gone (also between a look and a read)
        }
    }

    /** One line on stderr, exit 1. */
    static String refused(JrunCli.Result r) {
        assertEquals(1, r.exit(), r.stderr());
        assertTrue(r.stderr().startsWith("jrun: ") && r.stderr().indexOf('\n') == r.stderr().length() - 1, r.stderr());
        return r.stderr();
    }

    void damagedThenForced(Created c) throws Exception {
        String del = refused(jrun.run("delete", c.id()));
        assertTrue(del.contains("the state is kept"), del);
        assertTrue(Files.isDirectory(c.state().getParent()), "the state stays without --force");
        assertTrue(alive(c.pid()));
        refused(jrun.run("state", c.id()));
        refused(jrun.run("kill", c.id(), "KILL"));
        assertTrue(alive(c.pid()), "kill with a damaged state touched the init");

        JrunCli.Result forced = jrun.run("delete", "--force", c.id());
        assertEquals(0, forced.exit(), forced.stderr());
        for (int i = 0; i < 200 && alive(c.pid()); i++) {
            Thread.sleep(10);
        }
        assertFalse(alive(c.pid()), "delete --force left the init running");
        for (Path cg : c.cgroups()) {
            assertFalse(Files.exists(cg), cg + " left behind");
        }
        assertFalse(Files.exists(c.state().getParent()), "state left behind");
    }

    @Test
    void truncatedState() throws Exception {
        Created c = create();
        String text = Files.readString(c.state());
        Files.writeString(c.state(), text.substring(0, text.length() / 2));
        damagedThenForced(c);
    }

    @Test
    void missingState() throws Exception {
        Created c = create();
        Files.delete(c.state());
        damagedThenForced(c);
    }

    @Test
    void stateIsAFifoAndNothingHangs() throws Exception {
        Created c = create();
        Files.delete(c.state());
        assertEquals(0, new ProcessBuilder("mkfifo", c.state().toString()).start().waitFor());
        damagedThenForced(c); // JrunCli gives each command 60 s: a hang fails there
    }

    @Test
    void stateNamingACgroupJrunDidNotMakeIsRefused() throws Exception {
        Created c = create();
        // the memory hierarchy's root: every process of the host is below it
        String text = Files.readString(c.state());
        String changed = text.replaceFirst("\"dirs\":\\[[^\\]]*\\]", "\"dirs\":[\"/sys/fs/cgroup/memory\"]");
        assertTrue(!changed.equals(text), text);
        Files.writeString(c.state(), changed);
        damagedThenForced(c);
    }
}
