package io.jrun.micro.elf;

import io.jrun.micro.closure.SourceRoot;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * glibc's search for a DT_NEEDED name, done inside a source root (ld.so(8)):
 * <ol>
 * <li>a name with a slash is a path;</li>
 * <li>DT_RPATH of the loading object, then of its loaders up to the executable, each used only
 * while the object has no DT_RUNPATH;</li>
 * <li>LD_LIBRARY_PATH: not used (a container's environment is not the build's);</li>
 * <li>DT_RUNPATH of the loading object only;</li>
 * <li>the directories of the root's /etc/ld.so.conf (with its includes): what ld.so.cache
 * would hold for them;</li>
 * <li>the default directories: the multiarch ones, /lib64 and /usr/lib64 for 64-bit, /lib, /usr/lib.</li>
 * </ol>
 * {@code $ORIGIN} (and {@code ${ORIGIN}}) is the directory of the object that names the path;
 * {@code $LIB} the multiarch directory. A candidate of another ELF class or machine is skipped,
 * as the loader skips it.
 */
public final class LibrarySearch {
    /** An object that loads others: its in-root path and its ELF data. */
    public record Loader(String path, ElfFile elf) {}

    private final SourceRoot root;
    private final List<String> confDirs;

    public LibrarySearch(SourceRoot root) {
        this.root = root;
        this.confDirs = List.copyOf(readConf(root, "/etc/ld.so.conf", new LinkedHashSet<>(), 0));
    }

    public List<String> confDirs() {
        return confDirs;
    }

    /** The multiarch triplet glibc (Debian's) uses for a machine, or null. */
    static String multiarch(ElfFile elf) {
        switch (elf.machine()) {
            case 62: return "x86_64-linux-gnu";
            case 3: return "i386-linux-gnu";
            case 183: return "aarch64-linux-gnu";
            case 40: return "arm-linux-gnueabihf";
            case 243: return elf.is64() ? "riscv64-linux-gnu" : null;
            case 21: return "powerpc64le-linux-gnu";
            case 22: return "s390x-linux-gnu";
            default: return null;
        }
    }

    /** The default directories for objects of this kind, in glibc's order. */
    public static List<String> defaultDirs(ElfFile elf) {
        List<String> dirs = new ArrayList<>();
        String triplet = multiarch(elf);
        if (triplet != null) {
            dirs.add("/lib/" + triplet);
            dirs.add("/usr/lib/" + triplet);
        }
        if (elf.is64()) {
            dirs.add("/lib64");
            dirs.add("/usr/lib64");
        }
        dirs.add("/lib");
        dirs.add("/usr/lib");
        return dirs;
    }

    /** A found library: its in-root path as the loader opens it, and how it was found. */
    public record Found(String path, String how) {}

    /**
     * Finds {@code name} needed by the last of {@code chain} (the executable first), or null.
     */
    public Found find(String name, List<Loader> chain) throws IOException {
        Loader obj = chain.get(chain.size() - 1);
        if (name.contains("/")) {
            String p = name.startsWith("/") ? name : SourceRoot.parent(obj.path()) + "/" + name;
            p = SourceRoot.normalize(expand(p, obj));
            return matches(p, obj.elf()) ? new Found(p, "path") : null;
        }
        if (obj.elf().runpath().isEmpty()) {
            for (int i = chain.size() - 1; i >= 0; i--) {
                Loader l = chain.get(i);
                if (!l.elf().runpath().isEmpty()) {
                    continue;
                }
                for (String dir : l.elf().rpath()) {
                    Found f = in(expand(dir, l), name, obj.elf(), "DT_RPATH of " + l.path());
                    if (f != null) {
                        return f;
                    }
                }
            }
        }
        for (String dir : obj.elf().runpath()) {
            Found f = in(expand(dir, obj), name, obj.elf(), "DT_RUNPATH of " + obj.path());
            if (f != null) {
                return f;
            }
        }
        for (String dir : confDirs) {
            Found f = in(dir, name, obj.elf(), "/etc/ld.so.conf");
            if (f != null) {
                return f;
            }
        }
        for (String dir : defaultDirs(obj.elf())) {
            Found f = in(dir, name, obj.elf(), "default directory");
            if (f != null) {
                return f;
            }
        }
        return null;
    }

    private Found in(String dir, String name, ElfFile like, String how) throws IOException {
        if (!dir.startsWith("/")) {
            return null; // a relative RPATH is relative to the process's cwd: not a place in the image
        }
        String p = SourceRoot.normalize(dir + "/" + name);
        return matches(p, like) ? new Found(p, how) : null;
    }

    private boolean matches(String inRoot, ElfFile like) throws IOException {
        SourceRoot.Resolved r = root.resolve(inRoot);
        if (!r.exists() || !r.attrs().isRegularFile()) {
            return false;
        }
        ElfFile e = ElfFile.read(root.host(r.path()));
        return e != null && e.is64() == like.is64() && e.machine() == like.machine();
    }

    /** $ORIGIN and ${ORIGIN}: the directory of the object naming the path; $LIB: its multiarch dir. */
    static String expand(String dir, Loader l) {
        String origin = SourceRoot.parent(l.path());
        String triplet = multiarch(l.elf());
        String lib = triplet == null ? (l.elf().is64() ? "lib64" : "lib") : "lib/" + triplet;
        return dir.replace("${ORIGIN}", origin).replace("$ORIGIN", origin)
                .replace("${LIB}", lib).replace("$LIB", lib);
    }

    /** The directories of an ld.so.conf in the root, following {@code include GLOB} lines. */
    static Set<String> readConf(SourceRoot root, String file, Set<String> into, int depth) {
        if (depth > 8) {
            return into;
        }
        SourceRoot.Resolved r = root.resolve(file);
        if (!r.exists() || !r.attrs().isRegularFile()) {
            return into;
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(root.host(r.path()));
        } catch (IOException e) {
            return into;
        }
        for (String line : lines) {
            int hash = line.indexOf('#');
            String s = (hash >= 0 ? line.substring(0, hash) : line).trim();
            if (s.isEmpty()) {
                continue;
            }
            if (s.startsWith("include ") || s.startsWith("include\t")) {
                String glob = s.substring(8).trim();
                if (!glob.startsWith("/")) {
                    glob = SourceRoot.parent(file) + "/" + glob;
                }
                for (String f : glob(root, glob)) {
                    readConf(root, f, into, depth + 1);
                }
            } else if (s.startsWith("/")) {
                into.add(SourceRoot.normalize(s.split("[\\s=]", 2)[0]));
            }
        }
        return into;
    }

    /** The in-root files matching a glob whose wildcards are in its last component, sorted. */
    static List<String> glob(SourceRoot root, String glob) {
        String dir = SourceRoot.parent(glob);
        String pattern = glob.substring(dir.length() == 1 ? 1 : dir.length() + 1);
        List<String> out = new ArrayList<>();
        SourceRoot.Resolved d = root.resolve(dir);
        if (!d.exists()) {
            return out;
        }
        PathMatcher m = FileSystems.getDefault().getPathMatcher("glob:" + pattern);
        try (DirectoryStream<Path> s = Files.newDirectoryStream(root.host(d.path()))) {
            for (Path p : s) {
                if (m.matches(p.getFileName())) {
                    out.add(SourceRoot.normalize(dir + "/" + p.getFileName()));
                }
            }
        } catch (IOException e) {
            return out;
        }
        out.sort(null);
        return out;
    }
}
