package io.jrun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The image commands' command lines; none of them needs root or an image to parse. */
class ImageCommandsTest {
    static Main.Invocation parse(String... args) throws Exception {
        return Main.parse(args);
    }

    @Test
    void unpackTakesTheCommandFromArgsFlagsOrAfterTheDoubleDash() throws Exception {
        Main.Invocation i = parse("unpack", "--image-root", "/s", "-e", "A=1", "--env", "B=2", "--user", "app:web", "-t",
                "oci:/img:1", "bundle", "--", "sh", "-c", "echo --not-a-flag");
        assertInstanceOf(ImageCommands.Unpack.class, i.command());
        assertEquals(List.of("oci:/img:1", "bundle", "sh", "-c", "echo --not-a-flag"), i.args().rest());
        assertEquals(List.of("A=1", "B=2"), i.args().all("env"));
        assertEquals("app:web", i.args().get("user"));
        assertEquals(true, i.args().is("tty"));
        assertEquals(Path.of("/s"), ImageCommands.imageRoot(i.args()));
        Main.Invocation j = parse("unpack", "--args", "/bin/echo", "--args", "-n", "ref", "dir");
        assertEquals(List.of("/bin/echo", "-n"), j.args().all("args"));
        assertEquals(Path.of(ImageCommands.DEFAULT_IMAGE_ROOT), ImageCommands.imageRoot(j.args()));
    }

    @Test
    void pullImagesRmi() throws Exception {
        assertInstanceOf(ImageCommands.Pull.class, parse("pull", "--platform", "linux/arm64", "--name", "x", "oci:/a").command());
        assertInstanceOf(ImageCommands.ImagesCommand.class, parse("images", "-q").command());
        assertInstanceOf(ImageCommands.Rmi.class, parse("rmi", "a", "b").command());
    }

    @Test
    void usageErrors() throws Exception {
        Main.Invocation i = parse("unpack", "oci:/a");
        Flags.UsageException e = assertThrows(Flags.UsageException.class, () -> i.command().run(i.global(), i.args()));
        assertEquals("unpack: expected an image reference and a bundle directory", e.getMessage());
        Main.Invocation r = parse("rmi");
        e = assertThrows(Flags.UsageException.class, () -> r.command().run(r.global(), r.args()));
        assertEquals("rmi: expected one or more image names", e.getMessage());
    }

    @Test
    void sizesForPeople() {
        assertEquals("999 B", ImageCommands.Tasks.size(999));
        assertEquals("2.2 MB", ImageCommands.Tasks.size(2_230_000));
        assertEquals("1.5 GB", ImageCommands.Tasks.size(1_500_000_000L));
    }
}
