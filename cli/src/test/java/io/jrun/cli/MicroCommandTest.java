package io.jrun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/** jrun micro's command line; the checks before any work, without root or an image. */
class MicroCommandTest {
    @Test
    void flagsAndTheCommandAfterTheDoubleDash() throws Exception {
        Main.Invocation i = Main.parse(new String[] {"micro", "--from-host", "--entrypoint", "/usr/bin/python3",
                "--add", "/srv/**", "--add", "/etc/ssl", "-u", "web", "-e", "A=1", "--trace", "python3 -V",
                "--oci-archive", "/out/app.tar:1.0", "--", "-m", "http.server"});
        assertInstanceOf(MicroCommand.class, i.command());
        assertEquals(List.of("-m", "http.server"), i.args().rest());
        assertEquals(List.of("/srv/**", "/etc/ssl"), i.args().all("add"));
        assertEquals("python3 -V", i.args().get("trace"));
        assertEquals("web", i.args().get("user"));
    }

    @Test
    void usageErrorsComeBeforeAnyWork() throws Exception {
        Main.Invocation noOut = Main.parse(new String[] {"micro", "--from-host", "--entrypoint", "/bin/sh"});
        Flags.UsageException e = assertThrows(Flags.UsageException.class,
                () -> noOut.command().run(noOut.global(), noOut.args()));
        assertEquals("micro: no output: give --oci DIR, --oci-archive FILE[:TAG] or --bundle DIR", e.getMessage());
        Main.Invocation noSource = Main.parse(new String[] {"micro", "--bundle", "b"});
        e = assertThrows(Flags.UsageException.class, () -> noSource.command().run(noSource.global(), noSource.args()));
        assertEquals("micro: expected an image reference or --from-host", e.getMessage());
    }
}
