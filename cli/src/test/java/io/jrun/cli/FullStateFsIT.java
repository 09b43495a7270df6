package io.jrun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jrun.runtime.testing.TestBundle;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The state root (--root) on a tiny tmpfs that fills up: create fails with one line and leaves no
 * cgroup, whatever write it fails at; a start that cannot record "running" does not start the program.
 */
class FullStateFsIT extends CliTest {
    Path mounted;

    /** A JrunCli whose state root is a tmpfs of {@code inodes} inodes (the test's private mount namespace). */
    JrunCli onTmpfs(String name, int inodes) throws Exception {
        Path work = Files.createDirectories(tmp.resolve(name));
        Path root = Files.createDirectories(work.resolve("state"));
        sh("mount -t tmpfs -o size=1m,nr_inodes=" + inodes + " jrun-full " + root);
        mounted = root;
        return new JrunCli(work);
    }

    static void sh(String cmd) throws Exception {
        Process p = new ProcessBuilder("sh", "-c", cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), cmd + ": " + out);
    }

    @AfterEach
    void unmount() throws Exception {
        if (mounted != null) {
            sh("umount " + mounted);
            mounted = null;
        }
    }

    static List<String> cgroupsNamed(String id) throws IOException {
        try (var s = Files.walk(Path.of("/sys/fs/cgroup"), 6)) {
            return s.filter(p -> p.getFileName() != null && p.getFileName().toString().equals(id))
                    .map(Path::toString).toList();
        }
    }

    @Test
    void createOnAFillingStateFilesystemLeavesNoCgroup() throws Exception {
        TestBundle b = TestBundle.in(tmp.resolve("b"));
        b.write();
        boolean created = false;
        // each size fails create at a later write (state dir, lock, cgroup record, fifo, config copy, state)
        for (int inodes = 2; inodes <= 12 && !created; inodes++) {
            JrunCli cli = onTmpfs("fs" + inodes, inodes);
            String id = "full-" + inodes;
            JrunCli.Result r = cli.run("create", "--bundle", b.dir().toString(), id);
            if (r.exit() == 0) {
                created = true;
                assertEquals(0, cli.run("delete", "--force", id).exit());
            } else {
                assertEquals(1, r.exit(), r.stderr());
                assertTrue(r.stderr().startsWith("jrun: ") && r.stderr().indexOf('\n') == r.stderr().length() - 1,
                        r.stderr());
                try (var s = Files.list(cli.stateRoot())) {
                    assertEquals(List.of(), s.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith("."))
                            .toList(), inodes + " inodes: state left behind after " + r.stderr());
                }
            }
            assertEquals(List.of(), cgroupsNamed(id), inodes + " inodes: cgroups left behind after " + r.stderr());
            unmount();
        }
        assertTrue(created, "12 inodes were not enough for one container's state");
    }

    @Test
    void aStartThatCannotRecordRunningDoesNotStartTheProgram() throws Exception {
        Path shared = Files.createDirectories(tmp.resolve("shared"));
        TestBundle b = TestBundle.in(tmp.resolve("b")).sh("touch /shared/ran; exec sleep 100")
                .mount(Map.of("destination", "/shared", "type", "bind", "source", shared.toString(),
                        "options", List.of("rbind", "rw")));
        b.write();
        JrunCli cli = onTmpfs("fs", 64);
        String id = "full-start";
        JrunCli.Result c = cli.run("create", "--bundle", b.dir().toString(), id);
        assertEquals(0, c.exit(), c.stderr());
        // fill every inode left
        int n = 0;
        try {
            for (; n < 100; n++) {
                Files.createFile(cli.stateRoot().resolve(".filler-" + n));
            }
        } catch (IOException full) {
            // ENOSPC
        }
        assertTrue(n < 100, "the tmpfs never filled");
        JrunCli.Result s = cli.run("start", id);
        assertEquals(1, s.exit(), s.stderr());
        assertTrue(s.stderr().startsWith("jrun: write ") && s.stderr().contains("state.json"), s.stderr());
        JrunCli.Result state = cli.run("state", id);
        assertTrue(state.stdout().contains("\"status\": \"created\"") || state.stdout().contains("\"status\":\"created\""),
                state.stdout() + state.stderr());
        // room again: the init was still waiting, and a start that can record it starts the program
        for (int i = 0; i < n; i++) {
            Files.delete(cli.stateRoot().resolve(".filler-" + i));
        }
        assertFalse(Files.exists(shared.resolve("ran")), "the program ran though start failed");
        JrunCli.Result again = cli.run("start", id);
        assertEquals(0, again.exit(), again.stderr());
        for (int i = 0; i < 500 && !Files.exists(shared.resolve("ran")); i++) {
            Thread.sleep(10);
        }
        assertTrue(Files.exists(shared.resolve("ran")));
        assertEquals(0, cli.run("delete", "--force", id).exit());
        assertEquals(List.of(), cgroupsNamed(id));
    }
}
