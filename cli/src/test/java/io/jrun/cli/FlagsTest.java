package io.jrun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/** runc's flag forms, as Podman, containerd and users type them. */
class FlagsTest {
    final Flags flags = new Flags().value("b", "bundle", "b").bool("n", "no-pivot").value("p", "pid-file");

    @Test
    void everySpelling() throws Exception {
        for (String[] args : List.of(
                new String[] {"--bundle", "/b", "--no-pivot", "id"},
                new String[] {"--bundle=/b", "-no-pivot", "id"},
                new String[] {"-b", "/b", "--no-pivot=true", "id"},
                new String[] {"id", "-bundle", "/b", "--no-pivot"})) {
            Flags.Parsed p = flags.parse(args, 0, false);
            assertEquals("/b", p.get("bundle"), String.join(" ", args));
            assertEquals(true, p.is("no-pivot"));
            assertEquals(List.of("id"), p.rest());
        }
        assertEquals(false, flags.parse(new String[] {"--no-pivot=false", "x"}, 0, false).is("no-pivot"));
        assertEquals(List.of("-x"), flags.parse(new String[] {"--", "-x"}, 0, false).rest());
    }

    @Test
    void globalFlagsStopAtTheCommand() throws Exception {
        Flags.Parsed g = Main.GLOBAL.parse(new String[] {"--root", "/r", "--log-format=json", "run", "--bundle", "b"},
                0, true);
        assertEquals("/r", g.get("root"));
        assertEquals("json", g.get("log-format"));
        assertEquals(List.of("run", "--bundle", "b"), g.rest());
    }

    @Test
    void unknownOrIncompleteFlags() {
        assertEquals("flag provided but not defined: --bogus",
                assertThrows(Flags.UsageException.class, () -> flags.parse(new String[] {"--bogus"}, 0, false))
                        .getMessage());
        assertEquals("flag needs an argument: --pid-file",
                assertThrows(Flags.UsageException.class, () -> flags.parse(new String[] {"--pid-file"}, 0, false))
                        .getMessage());
    }

    @Test
    void versionAndHelp() {
        assertEquals(0, Main.execute(new String[] {"--version"}));
        assertEquals(0, Main.execute(new String[] {"--help"}));
        assertEquals(0, Main.execute(new String[] {"run", "--help"}));
        assertEquals(3, Main.execute(new String[] {"nosuchcommand"}));
    }
}
