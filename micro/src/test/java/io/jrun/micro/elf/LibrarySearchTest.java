package io.jrun.micro.elf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.jrun.micro.closure.SourceRoot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * glibc's order, on objects gcc makes in a root here: DT_RPATH (inherited from the loaders while
 * no DT_RUNPATH), DT_RUNPATH (not inherited), ld.so.conf, the default directories; $ORIGIN; a
 * library of another machine skipped.
 */
class LibrarySearchTest {
    @TempDir
    Path tmp;
    Path root;

    @BeforeEach
    void objects() throws Exception {
        root = tmp.resolve("root");
        Path src = tmp.resolve("src");
        Files.createDirectories(src);
        Files.writeString(src.resolve("foo.c"), "int bar(void); int foo(void) { return bar(); }\n");
        Files.writeString(src.resolve("bar.c"), "int bar(void) { return 1; }\n");
        Files.writeString(src.resolve("main.c"), "int foo(void); int main(void) { return foo(); }\n");
        Gcc.run(src, "gcc", "-shared", "-fPIC", "-o", "libbar.so", "bar.c");
        Gcc.run(src, "gcc", "-shared", "-fPIC", "-o", "libfoo.so", "foo.c", "-L.", "-lbar");
        Gcc.run(src, "gcc", "-o", "app-rpath", "main.c", "-L.", "-lfoo", "-lbar",
                "-Wl,--disable-new-dtags,-rpath,$ORIGIN/../lib");
        Gcc.run(src, "gcc", "-o", "app-runpath", "main.c", "-L.", "-lfoo", "-lbar",
                "-Wl,--enable-new-dtags,-rpath,$ORIGIN/../lib");
        for (String d : List.of("opt/app/bin", "opt/app/lib", "etc/ld.so.conf.d", "usr/local/conf", "usr/lib")) {
            Files.createDirectories(root.resolve(d));
        }
        Files.copy(src.resolve("app-rpath"), root.resolve("opt/app/bin/app-rpath"));
        Files.copy(src.resolve("app-runpath"), root.resolve("opt/app/bin/app-runpath"));
        Files.copy(src.resolve("libfoo.so"), root.resolve("opt/app/lib/libfoo.so"));
        Files.copy(src.resolve("libbar.so"), root.resolve("opt/app/lib/libbar.so"));
        Files.copy(src.resolve("libbar.so"), root.resolve("usr/local/conf/libbar.so"));
        Files.copy(src.resolve("libbar.so"), root.resolve("usr/lib/libbar.so"));
        Files.writeString(root.resolve("etc/ld.so.conf"), "include /etc/ld.so.conf.d/*.conf\n");
        Files.writeString(root.resolve("etc/ld.so.conf.d/local.conf"), "# a comment\n/usr/local/conf\n");
    }

    private LibrarySearch.Loader loader(String path) throws Exception {
        return new LibrarySearch.Loader(path, ElfFile.read(root.resolve(path.substring(1))));
    }

    @Test
    void rpathWithOriginComesFirstAndIsInheritedByTheLibraries() throws Exception {
        LibrarySearch s = new LibrarySearch(new SourceRoot(root));
        assertEquals(List.of("/usr/local/conf"), s.confDirs());
        LibrarySearch.Loader app = loader("/opt/app/bin/app-rpath");
        assertEquals("/opt/app/lib/libfoo.so", s.find("libfoo.so", List.of(app)).path());
        // libfoo has no RPATH or RUNPATH of its own: the executable's RPATH still applies
        LibrarySearch.Found bar = s.find("libbar.so", List.of(app, loader("/opt/app/lib/libfoo.so")));
        assertEquals("/opt/app/lib/libbar.so", bar.path());
        assertEquals("DT_RPATH of /opt/app/bin/app-rpath", bar.how());
    }

    @Test
    void runpathIsNotInheritedSoTheLibrarysNeedGoesToLdSoConf() throws Exception {
        LibrarySearch s = new LibrarySearch(new SourceRoot(root));
        LibrarySearch.Loader app = loader("/opt/app/bin/app-runpath");
        LibrarySearch.Found foo = s.find("libfoo.so", List.of(app));
        assertEquals("/opt/app/lib/libfoo.so", foo.path());
        assertEquals("DT_RUNPATH of /opt/app/bin/app-runpath", foo.how());
        LibrarySearch.Found bar = s.find("libbar.so", List.of(app, loader("/opt/app/lib/libfoo.so")));
        assertEquals("/usr/local/conf/libbar.so", bar.path());
        assertEquals("/etc/ld.so.conf", bar.how());
    }

    @Test
    void theDefaultDirectoriesComeLastAndAnotherMachinesLibraryIsSkipped() throws Exception {
        Files.delete(root.resolve("etc/ld.so.conf.d/local.conf"));
        LibrarySearch s = new LibrarySearch(new SourceRoot(root));
        LibrarySearch.Loader app = loader("/opt/app/bin/app-runpath");
        LibrarySearch.Loader foo = loader("/opt/app/lib/libfoo.so");
        assertEquals("/usr/lib/libbar.so", s.find("libbar.so", List.of(app, foo)).path());
        // e_machine 183 (aarch64) at offset 18: the loader would skip it, so does the search
        byte[] lib = Files.readAllBytes(root.resolve("usr/lib/libbar.so"));
        lib[18] = (byte) 183;
        lib[19] = 0;
        Files.write(root.resolve("usr/lib/libbar.so"), lib);
        assertNull(s.find("libbar.so", List.of(app, foo)));
        Files.createDirectories(root.resolve("usr/lib64"));
        Files.copy(tmp.resolve("src/libbar.so"), root.resolve("usr/lib64/libbar.so"), StandardCopyOption.REPLACE_EXISTING);
        assertEquals("/usr/lib64/libbar.so", s.find("libbar.so", List.of(app, foo)).path());
    }

    @Test
    void aSymlinkedDirectoryIsFollowedInsideTheRootOnly() throws Exception {
        // /lib -> /usr/lib, as in a merged-/usr image; an absolute link starts again at the root
        Files.createSymbolicLink(root.resolve("lib"), Path.of("/usr/lib"));
        SourceRoot r = new SourceRoot(root);
        SourceRoot.Resolved res = r.resolve("/lib/libbar.so");
        assertEquals("/usr/lib/libbar.so", res.path());
        assertEquals(List.of("/lib"), res.links());
        Files.createSymbolicLink(root.resolve("opt/escape"), Path.of("../../../../../etc"));
        assertEquals("/etc/ld.so.conf", r.resolve("/opt/escape/ld.so.conf").path());
    }
}
