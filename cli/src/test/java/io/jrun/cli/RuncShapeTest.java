package io.jrun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jrun.runtime.JrunException;
import io.jrun.runtime.spec.Spec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI's output in runc 1.1.5's shape: help, version, log lines, ps filtering, update's units, exec --cgroup. */
class RuncShapeTest {
    @TempDir
    Path tmp;

    @Test
    void versionAsRuncPrintsIt() {
        Captured c = Captured.run("--version");
        assertEquals(0, c.exit());
        String[] lines = c.stdout().split("\n");
        assertEquals("jrun version " + Main.VERSION, lines[0]);
        assertTrue(lines[1].matches("commit: \\S+"), lines[1]);
        assertEquals("spec: " + Main.SPEC_VERSION, lines[2]);
        assertEquals("java: " + System.getProperty("java.version"), lines[3]);
        assertEquals(c.stdout(), Captured.run("-v").stdout());
    }

    @Test
    void helpAsRuncPrintsIt() {
        Captured h = Captured.run("--help");
        assertEquals(0, h.exit());
        assertTrue(h.stdout().startsWith("NAME:\n   jrun - "), h.stdout());
        for (String section : List.of("\nUSAGE:\n   jrun [global options] command [command options] [arguments...]\n",
                "\nVERSION:\n   " + Main.VERSION + "\ncommit: ", "\nCOMMANDS:\n", "\n   help, h     Shows a list",
                "\nGLOBAL OPTIONS:\n", "   --log-format value  ", "   --help, -h  ", "   --version, -v  ")) {
            assertTrue(h.stdout().contains(section), section + " in\n" + h.stdout());
        }
        assertEquals(h.stdout(), Captured.run("help").stdout());
        assertEquals(h.stdout(), Captured.run("-h").stdout());
        assertEquals(h.stdout(), Captured.run().stdout()); // runc without a command: its help, status 0
        assertEquals(0, Captured.run().exit());
        Captured topic = Captured.run("help", "update");
        assertEquals(0, topic.exit());
        assertTrue(topic.stdout().startsWith("NAME:\n   jrun update - update container resource constraints\n\n"
                + "USAGE:\n   jrun update [command options] <container-id>\n\nOPTIONS:\n"
                + "   --resources value, -r value  "), topic.stdout());
        assertTrue(topic.stdout().contains("\n   --cpu-share value, --cpu-shares value  "), topic.stdout());
        assertEquals(topic.stdout(), Captured.run("update", "--help").stdout());
        assertEquals(topic.stdout(), Captured.run("h", "update").stdout());
        Captured none = Captured.run("help", "nosuch");
        assertEquals(3, none.exit());
        assertEquals("jrun: No help topic for 'nosuch'\n", none.stderr());
        assertEquals(3, Captured.run("nosuch").exit());
    }

    @Test
    void logLinesAsRuncWritesThem() throws Exception {
        Path text = tmp.resolve("log.txt");
        Captured c = Captured.run("--log", text.toString(), "--root", tmp.toString(), "state", "x");
        assertEquals(1, c.exit());
        assertEquals("jrun: container \"x\" does not exist\n", c.stderr());
        String line = Files.readString(text);
        assertTrue(line.matches("time=\"\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ\" level=error"
                + " msg=\"container \\\\\"x\\\\\" does not exist\"\n"), line);
        Path json = tmp.resolve("log.json");
        Captured.run("--log", json.toString(), "--log-format", "json", "--debug", "--root", tmp.toString(), "state", "x");
        String[] lines = Files.readString(json).split("\n");
        assertEquals(2, lines.length, String.join("\n", lines));
        assertTrue(lines[0].matches("\\{\"level\":\"debug\",\"msg\":\"jrun .*\",\"time\":\"[0-9T:-]+Z\"}"), lines[0]);
        assertTrue(lines[1].matches("\\{\"level\":\"error\",\"msg\":\"container \\\\\"x\\\\\" does not exist\","
                + "\"time\":\"[0-9T:-]+Z\"}"), lines[1]);
        // without a file, --log-format json writes the line to stderr, as runc does
        Captured s = Captured.run("--log-format", "json", "--root", tmp.toString(), "state", "x");
        assertTrue(s.stderr().startsWith("{\"level\":\"error\",\"msg\":\"container \\\"x\\\" does not exist\""),
                s.stderr());
        Captured bad = Captured.run("--log-format", "xml", "--root", tmp.toString(), "state", "x");
        assertEquals(1, bad.exit());
        assertEquals("jrun: invalid log-format: xml\n", bad.stderr());
        assertEquals("\"a\\\"b\\\\c\\nd\\te\\x01\"", Log.quote("a\"b\\c\nd\te\u0001"));
        // a log file that cannot be written: one line with the errno (was: the path twice, no errno)
        Path unwritable = tmp.resolve("no-such-dir/log.txt");
        Captured w = Captured.run("--log", unwritable.toString(), "--root", tmp.toString(), "state", "x");
        assertEquals(1, w.exit());
        assertEquals("jrun: container \"x\" does not exist\njrun: write log " + unwritable
                + ": No such file or directory (ENOENT)\n", w.stderr());
    }

    @Test
    void psKeepsTheHeaderAndTheContainersLines() throws JrunException {
        String out = "UID          PID    PPID  C STIME TTY          TIME CMD\n"
                + "root           1       0  0 10:00 ?        00:00:01 /sbin/init\n"
                + "root        4242       1  0 10:01 ?        00:00:00 sleep 100\n"
                + "root        4243    4242  0 10:01 ?        00:00:00 sh -c 4242\n";
        assertEquals("UID          PID    PPID  C STIME TTY          TIME CMD\n"
                + "root        4242       1  0 10:01 ?        00:00:00 sleep 100\n",
                LifecycleCommands.Ps.filter(out, List.of(4242L), List.of("-ef")));
        JrunException e = assertThrows(JrunException.class,
                () -> LifecycleCommands.Ps.filter("COMMAND\nsleep\n", List.of(1L), List.of("-o", "comm")));
        assertEquals("ps -o comm: couldn't find PID field in ps output", e.getMessage());
    }

    @Test
    void sizesAsRuncReadsThem() {
        assertEquals(52428800L, CgroupCommands.Update.ramInBytes("50M"));
        assertEquals(1073741824L, CgroupCommands.Update.ramInBytes("1g"));
        assertEquals(1536L, CgroupCommands.Update.ramInBytes("1.5k"));
        assertEquals(2048L, CgroupCommands.Update.ramInBytes("2 KiB"));
        assertEquals(3L << 40, CgroupCommands.Update.ramInBytes("3tb"));
        assertEquals(123L, CgroupCommands.Update.ramInBytes("123"));
        assertEquals(5L, CgroupCommands.Update.ramInBytes("5 ")); // go-units allows the space without a unit
        for (String bad : List.of("50X", "", "M", "-5", "1.", "1.2.3", "5  ", "1kk", "9999999p")) {
            assertEquals(-1L, CgroupCommands.Update.ramInBytes(bad), bad);
        }
    }

    @Test
    void updateFlagsAsRuncReadsThem() throws Exception {
        Flags.Parsed p = CgroupCommands.Update.FLAGS_FOR_TEST.parse(new String[] {"--memory", "50M", "--memory-swap",
            "-1", "--cpu-share", "512", "--cpu-rt-runtime", "-1", "--cpu-rt-period", "1000000", "--cpuset-cpus", "0",
            "--pids-limit", "77", "--blkio-weight", "300", "c1"}, 0, false);
        Spec.Resources r = CgroupCommands.Update.fromFlags(p);
        assertEquals(new Spec.Memory(52428800L, null, -1L, null, null), r.memory());
        assertEquals(new Spec.Cpu(512L, null, null, null, -1L, 1000000L, "0", null), r.cpu());
        assertEquals(77L, r.pidsLimit());
        assertEquals(300L, r.blockIo().weight());
        Flags.Parsed bad = CgroupCommands.Update.FLAGS_FOR_TEST.parse(new String[] {"--cpu-share", "abc", "c1"}, 0,
                false);
        assertEquals("invalid value for cpu-share: \"abc\" is not an unsigned integer",
                assertThrows(Flags.UsageException.class, () -> CgroupCommands.Update.fromFlags(bad)).getMessage());
    }

    @Test
    void execCgroupForms() throws Exception {
        Flags.Parsed p = new ExecCommand().flags().parse(new String[] {"--cgroup", "cpu,cpuacct:/a", "--cgroup",
            "pids:b", "--cgroup", "c", "c1"}, 0, true);
        assertEquals(Map.of("cpu", "/a", "cpuacct", "/a", "pids", "b", "", "c"), ExecCommand.subCgroups(p));
        Flags.Parsed empty = new ExecCommand().flags().parse(new String[] {"--cgroup", "pids:", "c1"}, 0, true);
        assertThrows(Flags.UsageException.class, () -> ExecCommand.subCgroups(empty));
    }

    /** A file the caller names that cannot be read is one line with the path and the errno, no stack, no bare path. */
    @Test
    void anUnreadableProcessOrResourcesFileNamesTheErrno(@TempDir Path tmp) {
        Path missing = tmp.resolve("missing.json");
        Captured exec = Captured.run("--root", tmp.resolve("state").toString(), "exec", "--process", missing.toString(),
                "c1");
        assertEquals(255, exec.exit(), exec.stderr());
        assertEquals("jrun: read " + missing + ": No such file or directory (ENOENT)\n", exec.stderr());
        Captured update = Captured.run("--root", tmp.resolve("state").toString(), "update", "--resources",
                missing.toString(), "c1");
        assertEquals(1, update.exit(), update.stderr());
        assertEquals("jrun: read " + missing + ": No such file or directory (ENOENT)\n", update.stderr());
    }
}
