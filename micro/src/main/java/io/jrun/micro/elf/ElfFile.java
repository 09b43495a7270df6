package io.jrun.micro.elf;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * What the dynamic loader reads from an ELF file: its class and machine (a library of another
 * kind is skipped by the search), the interpreter (PT_INTERP), and from PT_DYNAMIC the
 * DT_NEEDED names, DT_RPATH, DT_RUNPATH and DT_SONAME. The dynamic section's string table is
 * found as the loader finds it: DT_STRTAB's address mapped through the PT_LOAD segments.
 */
public record ElfFile(boolean is64, int machine, int type, String interpreter, List<String> needed,
        List<String> rpath, List<String> runpath, String soname) {
    private static final int PT_LOAD = 1;
    private static final int PT_DYNAMIC = 2;
    private static final int PT_INTERP = 3;
    private static final long DT_NEEDED = 1;
    private static final long DT_STRTAB = 5;
    private static final long DT_STRSZ = 10;
    private static final long DT_SONAME = 14;
    private static final long DT_RPATH = 15;
    private static final long DT_RUNPATH = 29;
    /** Files larger than this are not read whole: only their headers and segments are mapped. */
    private static final long MAX_SIZE = Integer.MAX_VALUE;

    /** Whether the file is a dynamically linked ELF (has an interpreter or a dynamic section with needs). */
    public boolean dynamic() {
        return interpreter != null || !needed.isEmpty();
    }

    /** The file's ELF data, or null when it is not an ELF file (too short, no magic). */
    public static ElfFile read(Path file) throws IOException {
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            return null;
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 52 || size > MAX_SIZE) {
                return null;
            }
            ByteBuffer b = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
            return parse(b, file);
        }
    }

    static ElfFile parse(ByteBuffer b, Path file) throws IOException {
        try {
            return parseChecked(b, file);
        } catch (IndexOutOfBoundsException e) { // a field the checks below did not cover: a short header, an odd offset
            throw new IOException("read ELF " + file + ": a header points past the end of the file");
        }
    }

    private static ElfFile parseChecked(ByteBuffer b, Path file) throws IOException {
        if (b.get(0) != 0x7f || b.get(1) != 'E' || b.get(2) != 'L' || b.get(3) != 'F') {
            return null;
        }
        int cls = b.get(4);
        int data = b.get(5);
        if ((cls != 1 && cls != 2) || (data != 1 && data != 2)) {
            throw new IOException("read ELF " + file + ": bad class or byte order");
        }
        boolean is64 = cls == 2;
        b.order(data == 1 ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN);
        int type = u16(b, 16);
        int machine = u16(b, 18);
        long phoff = is64 ? b.getLong(32) : u32(b, 28);
        int phentsize = u16(b, is64 ? 54 : 42);
        int phnum = u16(b, is64 ? 56 : 44);
        List<long[]> loads = new ArrayList<>(); // vaddr, offset, filesz
        long dynOff = -1;
        long dynSize = 0;
        String interp = null;
        for (int i = 0; i < phnum; i++) {
            long at = phoff + (long) i * phentsize;
            check(b, at, phentsize, file);
            int p = (int) at;
            int ptype = b.getInt(p);
            long off = is64 ? b.getLong(p + 8) : u32(b, p + 4);
            long vaddr = is64 ? b.getLong(p + 16) : u32(b, p + 8);
            long filesz = is64 ? b.getLong(p + 32) : u32(b, p + 16);
            if (ptype == PT_LOAD) {
                loads.add(new long[] {vaddr, off, filesz});
            } else if (ptype == PT_DYNAMIC) {
                dynOff = off;
                dynSize = filesz;
            } else if (ptype == PT_INTERP) {
                check(b, off, filesz, file);
                interp = cstring(b, off, off + filesz);
            }
        }
        List<Long> neededOffsets = new ArrayList<>();
        long strtab = -1;
        long strsz = 0;
        long rpathOff = -1;
        long runpathOff = -1;
        long sonameOff = -1;
        if (dynOff >= 0) {
            check(b, dynOff, dynSize, file);
            int entsize = is64 ? 16 : 8;
            for (long at = dynOff; at + entsize <= dynOff + dynSize; at += entsize) {
                long tag = is64 ? b.getLong((int) at) : b.getInt((int) at);
                long val = is64 ? b.getLong((int) at + 8) : u32(b, (int) at + 4);
                if (tag == 0) {
                    break;
                } else if (tag == DT_NEEDED) {
                    neededOffsets.add(val);
                } else if (tag == DT_STRTAB) {
                    strtab = val;
                } else if (tag == DT_STRSZ) {
                    strsz = val;
                } else if (tag == DT_RPATH) {
                    rpathOff = val;
                } else if (tag == DT_RUNPATH) {
                    runpathOff = val;
                } else if (tag == DT_SONAME) {
                    sonameOff = val;
                }
            }
        }
        List<String> needed = new ArrayList<>();
        List<String> rpath = List.of();
        List<String> runpath = List.of();
        String soname = null;
        if (strtab >= 0) {
            long strFile = -1;
            for (long[] l : loads) {
                if (strtab >= l[0] && strtab < l[0] + l[2]) {
                    strFile = strtab - l[0] + l[1];
                }
            }
            if (strFile < 0) {
                throw new IOException("read ELF " + file + ": DT_STRTAB 0x" + Long.toHexString(strtab)
                        + " is in no PT_LOAD segment");
            }
            long end = strsz > 0 ? strFile + strsz : b.limit();
            check(b, strFile, end - strFile, file);
            for (long o : neededOffsets) {
                needed.add(cstring(b, strFile + o, end));
            }
            if (rpathOff >= 0) {
                rpath = split(cstring(b, strFile + rpathOff, end));
            }
            if (runpathOff >= 0) {
                runpath = split(cstring(b, strFile + runpathOff, end));
            }
            if (sonameOff >= 0) {
                soname = cstring(b, strFile + sonameOff, end);
            }
        }
        return new ElfFile(is64, machine, type, interp, List.copyOf(needed), rpath, runpath, soname);
    }

    private static List<String> split(String path) {
        List<String> out = new ArrayList<>();
        for (String s : path.split(":")) {
            if (!s.isEmpty()) {
                out.add(s);
            }
        }
        return List.copyOf(out);
    }

    private static void check(ByteBuffer b, long off, long len, Path file) throws IOException {
        if (off < 0 || len < 0 || off + len > b.limit()) {
            throw new IOException("read ELF " + file + ": a header points past the end of the file");
        }
    }

    private static String cstring(ByteBuffer b, long from, long end) {
        int i = (int) from;
        int lim = (int) Math.min(end, b.limit());
        StringBuilder sb = new StringBuilder();
        byte[] buf = new byte[256];
        int n = 0;
        while (i < lim && b.get(i) != 0) {
            if (n == buf.length) {
                sb.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                n = 0;
            }
            buf[n++] = b.get(i++);
        }
        sb.append(new String(buf, 0, n, StandardCharsets.UTF_8));
        return sb.toString();
    }

    private static int u16(ByteBuffer b, int at) {
        return b.getShort(at) & 0xffff;
    }

    private static long u32(ByteBuffer b, int at) {
        return b.getInt(at) & 0xffffffffL;
    }
}
