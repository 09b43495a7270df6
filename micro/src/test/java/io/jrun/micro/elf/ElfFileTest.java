package io.jrun.micro.elf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The reader on the host's own binaries and on objects gcc makes here. */
class ElfFileTest {
    @TempDir
    Path tmp;

    @Test
    void readsTheInterpreterAndNeedsOfTheHostsPython() throws Exception {
        ElfFile e = ElfFile.read(Path.of("/usr/bin/python3.11"));
        assertTrue(e.is64());
        assertEquals(62, e.machine()); // EM_X86_64
        assertEquals("/lib64/ld-linux-x86-64.so.2", e.interpreter());
        assertEquals(List.of("libm.so.6", "libz.so.1", "libexpat.so.1", "libc.so.6"), e.needed());
        assertTrue(e.dynamic());
    }

    @Test
    void aLibraryHasItsSonameAndAStaticBinaryNoNeeds() throws Exception {
        ElfFile libc = ElfFile.read(Path.of("/lib/x86_64-linux-gnu/libc.so.6").toRealPath());
        assertEquals("libc.so.6", libc.soname());
        assertEquals(List.of("ld-linux-x86-64.so.2"), libc.needed());
        ElfFile busybox = ElfFile.read(Path.of("/bin/busybox").toRealPath());
        assertNull(busybox.interpreter());
        assertEquals(List.of(), busybox.needed());
        assertTrue(!busybox.dynamic());
    }

    @Test
    void notAnElfIsNullAndAnElfCutShortIsAnError() throws Exception {
        Path text = tmp.resolve("script");
        Files.writeString(text, "#!/bin/sh\necho this is not an ELF file at all, it is long enough to be read\n");
        assertNull(ElfFile.read(text));
        assertNull(ElfFile.read(tmp)); // a directory
        byte[] head = Files.readAllBytes(Path.of("/usr/bin/python3.11"));
        Path cut = tmp.resolve("cut");
        Files.write(cut, java.util.Arrays.copyOf(head, 64));
        java.io.IOException ex = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class,
                () -> ElfFile.read(cut));
        assertTrue(ex.getMessage().contains("read ELF " + cut), ex.getMessage());
    }

    /** A malformed ELF (an image's, or a host file's) is one IOException naming it, never an unchecked exception. */
    @Test
    void malformedHeadersAreAnIoErrorNamingTheFile() throws Exception {
        byte[] python = Files.readAllBytes(Path.of("/usr/bin/python3.11"));
        // a 64-bit header shorter than 64 bytes
        java.util.List<byte[]> bad = new java.util.ArrayList<>();
        bad.add(java.util.Arrays.copyOf(python, 56));
        // program headers of 8 bytes each, where p_offset and the rest lie beyond
        byte[] smallEntries = java.util.Arrays.copyOf(python, 72);
        java.nio.ByteBuffer.wrap(smallEntries).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(32, 64)
                .putShort(54, (short) 8).putShort(56, (short) 1);
        bad.add(smallEntries);
        // a DT_NEEDED offset far beyond the string table
        byte[] farNeeded = python.clone();
        ElfFile ok = ElfFile.read(Path.of("/usr/bin/python3.11"));
        assertEquals(4, ok.needed().size());
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(farNeeded).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        long phoff = b.getLong(32);
        int phentsize = b.getShort(54) & 0xffff;
        int phnum = b.getShort(56) & 0xffff;
        for (int i = 0; i < phnum; i++) {
            int p = (int) (phoff + (long) i * phentsize);
            if (b.getInt(p) == 2) { // PT_DYNAMIC
                int dyn = (int) b.getLong(p + 8);
                for (int at = dyn; b.getLong(at) != 0; at += 16) {
                    if (b.getLong(at) == 1) { // DT_NEEDED
                        b.putLong(at + 8, 0x80000000L);
                    }
                }
            }
        }
        bad.add(farNeeded);
        for (int i = 0; i < bad.size(); i++) {
            Path f = tmp.resolve("bad-" + i);
            Files.write(f, bad.get(i));
            java.io.IOException ex = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class,
                    () -> ElfFile.read(f), f.toString());
            assertTrue(ex.getMessage().startsWith("read ELF " + f + ": "), ex.getMessage());
        }
    }

    @Test
    void readsRpathAndRunpathAsTheLinkerWroteThem() throws Exception {
        Path c = tmp.resolve("m.c");
        Files.writeString(c, "int main(void) { return 0; }\n");
        Path rpath = tmp.resolve("with-rpath");
        Path runpath = tmp.resolve("with-runpath");
        Gcc.run(tmp, "gcc", "-o", rpath.toString(), c.toString(), "-Wl,--disable-new-dtags,-rpath,$ORIGIN/../lib:/opt/x");
        Gcc.run(tmp, "gcc", "-o", runpath.toString(), c.toString(), "-Wl,--enable-new-dtags,-rpath,$ORIGIN/../lib");
        ElfFile a = ElfFile.read(rpath);
        assertEquals(List.of("$ORIGIN/../lib", "/opt/x"), a.rpath());
        assertEquals(List.of(), a.runpath());
        ElfFile b = ElfFile.read(runpath);
        assertEquals(List.of(), b.rpath());
        assertEquals(List.of("$ORIGIN/../lib"), b.runpath());
    }
}
