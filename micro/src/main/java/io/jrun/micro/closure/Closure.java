package io.jrun.micro.closure;

import io.jrun.micro.MicroException;
import io.jrun.micro.elf.ElfFile;
import io.jrun.micro.elf.LibrarySearch;
import io.jrun.micro.manifest.Manifest;
import io.jrun.micro.manifest.Manifest.Kind;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.FileVisitResult;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The files of the result, taken from the source root with their reasons: a path is resolved
 * inside the root and every symlink on the way is kept as a symlink; a directory named by the
 * user brings its whole tree; every ELF file kept brings its interpreter and the libraries the
 * loader would find for it (glibc's rules, {@link LibrarySearch}), and so on over every library
 * kept; a script brings its {@code #!} interpreter.
 */
public final class Closure {
    private final SourceRoot root;
    private final Manifest manifest;
    private final LibrarySearch search;
    private final Set<String> elfDone = new HashSet<>();
    private final List<String> missing = new ArrayList<>();

    public Closure(SourceRoot root, Manifest manifest) {
        this.root = root;
        this.manifest = manifest;
        this.search = new LibrarySearch(root);
    }

    public SourceRoot root() {
        return root;
    }

    /** The ELF needs that no directory satisfied: "NAME needed by PATH". */
    public List<String> missing() {
        return List.copyOf(missing);
    }

    /**
     * Adds a path (and its closure); {@code tree}: a directory brings everything under it.
     * Returns false when the path does not exist in the root.
     */
    public boolean add(String path, String reason, boolean tree) throws MicroException {
        SourceRoot.Resolved r = root.resolve(path);
        for (String link : r.links()) {
            manifest.add(link, Kind.SYMLINK, reason.startsWith("symlink") ? reason : "symlink on the way: " + reason);
        }
        if (!r.exists()) {
            return false;
        }
        BasicFileAttributes a = r.attrs();
        if (a.isDirectory()) {
            manifest.add(r.path(), Kind.DIR, reason);
            if (tree) {
                addTree(r.path(), reason);
            }
        } else {
            manifest.add(r.path(), Kind.FILE, reason);
            if (a.isRegularFile()) {
                follow(r.path());
            }
        }
        return true;
    }

    private void addTree(String dir, String reason) throws MicroException {
        Path base = root.host(dir);
        List<String> files = new ArrayList<>();
        try {
            Files.walkFileTree(base, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
                    manifest.add(inRoot(d), Kind.DIR, reason);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) {
                    String p = inRoot(f);
                    manifest.add(p, attrs.isSymbolicLink() ? Kind.SYMLINK : Kind.FILE, reason);
                    if (attrs.isRegularFile()) {
                        files.add(p);
                    } else if (attrs.isSymbolicLink()) {
                        files.add(p); // its target is brought in below, resolved inside the root
                    }
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw MicroException.io("read the tree " + base, e);
        }
        for (String f : files) {
            BasicFileAttributes a = root.attrs(f);
            if (a != null && a.isSymbolicLink()) {
                add(f, "target of symlink " + f, false);
            } else {
                follow(f);
            }
        }
    }

    private String inRoot(Path host) {
        String rel = root.root().relativize(host).toString();
        return rel.isEmpty() ? "/" : "/" + rel;
    }

    /** An ELF's interpreter and libraries, a script's interpreter. */
    private void follow(String path) throws MicroException {
        if (!elfDone.add(path)) {
            return;
        }
        Path file = root.host(path);
        ElfFile elf = readElf(file);
        if (elf == null) {
            String interp = shebang(file);
            if (interp != null) {
                add(interp, "interpreter (#!) of " + path, false);
            }
            return;
        }
        elfClosure(new ArrayList<>(List.of(new LibrarySearch.Loader(path, elf))));
    }

    private void elfClosure(List<LibrarySearch.Loader> chain) throws MicroException {
        LibrarySearch.Loader obj = chain.get(chain.size() - 1);
        if (obj.elf().interpreter() != null) {
            add(obj.elf().interpreter(), "interpreter (PT_INTERP) of " + obj.path(), false);
        }
        for (String name : obj.elf().needed()) {
            LibrarySearch.Found f;
            try {
                f = search.find(name, chain);
            } catch (IOException e) {
                throw MicroException.io("find " + name + " for " + obj.path(), e);
            }
            if (f == null) {
                String m = name + " needed by " + obj.path();
                if (!missing.contains(m)) {
                    missing.add(m);
                }
                continue;
            }
            String reason = "ELF dependency of " + obj.path() + " (DT_NEEDED " + name + ", " + f.how() + ")";
            SourceRoot.Resolved r = root.resolve(f.path());
            for (String link : r.links()) {
                manifest.add(link, Kind.SYMLINK, reason);
            }
            manifest.add(r.path(), Kind.FILE, reason);
            if (elfDone.add(r.path())) {
                ElfFile lib = readElf(root.host(r.path()));
                if (lib != null) {
                    List<LibrarySearch.Loader> next = new ArrayList<>(chain);
                    next.add(new LibrarySearch.Loader(f.path(), lib));
                    elfClosure(next);
                }
            }
        }
    }

    /** The file's ELF data (null: not ELF); a malformed ELF is an error, as the loader would fail on it. */
    private static ElfFile readElf(Path file) throws MicroException {
        try {
            return ElfFile.read(file);
        } catch (java.nio.file.FileSystemException e) {
            throw MicroException.io("read ELF " + file, e);
        } catch (IOException e) {
            throw new MicroException(e.getMessage()); // the reader's own line: "read ELF FILE: what is wrong"
        }
    }

    /** The interpreter of a {@code #!} script, or null. */
    static String shebang(Path file) {
        byte[] head = new byte[256];
        int n;
        try (InputStream in = Files.newInputStream(file)) {
            n = in.readNBytes(head, 0, head.length);
        } catch (IOException e) {
            return null;
        }
        if (n < 3 || head[0] != '#' || head[1] != '!') {
            return null;
        }
        String line = new String(head, 2, n - 2, StandardCharsets.UTF_8);
        int nl = line.indexOf('\n');
        if (nl < 0) {
            return null;
        }
        String s = line.substring(0, nl).trim();
        int sp = s.indexOf(' ');
        String interp = sp < 0 ? s : s.substring(0, sp);
        return interp.startsWith("/") ? interp : null;
    }
}
