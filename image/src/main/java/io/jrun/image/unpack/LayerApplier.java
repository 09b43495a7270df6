package io.jrun.image.unpack;

import io.jrun.image.ImageException;
import io.jrun.image.store.Errors;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Applies one layer's tar stream to a rootfs, as the image-spec's layer.md says: entries in order,
 * replacing what lower layers left; {@code .wh.NAME} removes NAME of a lower layer and
 * {@code .wh..wh..opq} empties its directory of them. Directories get their mode and times at the
 * end of the whole unpack (their children change their mtime, and a read-only one must still take
 * children), in {@code dirs}.
 */
final class LayerApplier {
    private static final String WHITEOUT = ".wh.";
    private static final String OPAQUE = ".wh..wh..opq";
    private static final LinkOption[] NOFOLLOW = {LinkOption.NOFOLLOW_LINKS};

    /** A directory's mode and times, set after everything else. */
    record DirAttrs(int mode, FileTime mtime) {}

    private final InRoot in;
    private final UnpackOptions options;
    private final Map<Path, DirAttrs> dirs;
    private final Set<Path> touched = new HashSet<>(); // written by this layer: an opaque whiteout keeps them
    private final byte[] buf = new byte[1 << 16];
    private String entryName = "";

    LayerApplier(InRoot in, UnpackOptions options, Map<Path, DirAttrs> dirs) {
        this.in = in;
        this.options = options;
        this.dirs = dirs;
    }

    /** The entry being applied: named by errors that a stream raises mid-entry. */
    String currentEntry() {
        return entryName;
    }

    void apply(InputStream tarStream, String layer) throws ImageException, IOException {
        TarArchiveInputStream tar = new TarArchiveInputStream(tarStream, StandardCharsets.UTF_8.name());
        long count = 0;
        for (TarArchiveEntry e; (e = tar.getNextEntry()) != null; ) {
            entryName = e.getName();
            String what = "unpack layer " + layer + " entry \"" + entryName + "\"";
            if (++count > options.limits().maxEntries()) {
                throw new ImageException(what + ": more than " + options.limits().maxEntries() + " entries in one layer (the limit)");
            }
            entry(tar, e, what);
        }
    }

    private void entry(TarArchiveInputStream tar, TarArchiveEntry e, String what) throws ImageException, IOException {
        List<String> comps = InRoot.components(e.getName(), what, "its path");
        if (comps.isEmpty()) { // the rootfs itself
            if (e.isDirectory()) {
                dirs.put(in.root(), new DirAttrs(e.getMode() & 07777, e.getLastModifiedTime()));
            }
            return;
        }
        String base = comps.get(comps.size() - 1);
        List<String> parentComps = comps.subList(0, comps.size() - 1);
        if (base.startsWith(WHITEOUT)) {
            whiteout(parentComps, base, what);
            return;
        }
        // the holes of a sparse entry are zeros the reader makes up, past every size limit: refused
        if (e.isSparse()) {
            throw new ImageException(what + ": sparse files are not supported in layers");
        }
        if (e.getSize() > options.limits().maxFileSize()) {
            throw new ImageException(what + ": size " + e.getSize() + " bytes is beyond the limit of "
                    + options.limits().maxFileSize());
        }
        Path parent = in.directory(parentComps, what, true);
        Path target = parent.resolve(base);
        touched.add(target);
        BasicFileAttributes old = InRoot.lstat(target);
        if (e.isDirectory()) {
            if (old != null && !old.isDirectory()) {
                remove(target, old, what);
            }
            if (old == null || !old.isDirectory()) {
                try {
                    Files.createDirectory(target);
                } catch (IOException ex) {
                    throw new ImageException(what + ": mkdir " + target + ": " + Errors.reason(ex));
                }
            }
            owner(target, e, what);
            dirs.put(target, new DirAttrs(e.getMode() & 07777, e.getLastModifiedTime()));
            xattrs(target, e, what);
            return;
        }
        if (old != null) {
            remove(target, old, what);
        }
        if (e.isLink()) {
            hardlink(target, e, what);
            return;
        }
        try {
            if (e.isSymbolicLink()) {
                Files.createSymbolicLink(target, Path.of(e.getLinkName()));
            } else if (e.isCharacterDevice() || e.isBlockDevice() || e.isFIFO()) {
                node(target, e, what);
            } else if (e.isFile()) {
                try (OutputStream out = Files.newOutputStream(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                    for (int n; (n = tar.read(buf)) > 0; ) {
                        out.write(buf, 0, n);
                    }
                }
            } else {
                throw new ImageException(what + ": unsupported entry type '" + (char) e.getLinkFlag() + "'");
            }
        } catch (IOException ex) {
            if (ex instanceof LimitException) {
                throw ex;
            }
            throw new ImageException(what + ": create " + target + ": " + Errors.reason(ex));
        }
        owner(target, e, what);
        if (e.isCharacterDevice() || e.isBlockDevice() || e.isFIFO()) {
            // mknod -m gave the mode; Java would set mode and times through open(2), which blocks on a
            // fifo and has side effects on a device: they keep their creation time
            return;
        }
        xattrs(target, e, what);
        times(target, e.getLastModifiedTime(), what);
        if (!e.isSymbolicLink()) {
            mode(target, e.getMode() & 07777, what);
        }
    }

    private void whiteout(List<String> parentComps, String base, String what) throws ImageException {
        Path parent = in.directory(parentComps, what, false);
        if (base.equals(OPAQUE)) {
            if (parent == null) {
                return;
            }
            List<Path> lower = new ArrayList<>();
            try (var s = Files.list(parent)) {
                s.filter(p -> !touched.contains(p)).forEach(lower::add);
            } catch (IOException ex) {
                throw new ImageException(what + ": list " + parent + ": " + Errors.reason(ex));
            }
            for (Path p : lower) {
                remove(p, InRoot.lstat(p), what);
            }
            touched.add(parent);
            return;
        }
        String name = base.substring(WHITEOUT.length());
        if (name.isEmpty() || name.equals(".") || name.equals("..") || name.startsWith(WHITEOUT)) {
            throw new ImageException(what + ": a whiteout of \"" + name + "\" is aimed outside its directory");
        }
        if (parent == null) {
            return;
        }
        Path target = parent.resolve(name);
        BasicFileAttributes a = InRoot.lstat(target);
        if (a != null) {
            remove(target, a, what);
        }
    }

    private void hardlink(Path target, TarArchiveEntry e, String what) throws ImageException {
        List<String> comps = InRoot.components(e.getLinkName(), what, "its hardlink target \"" + e.getLinkName() + "\"");
        if (comps.isEmpty()) {
            throw new ImageException(what + ": a hardlink to the rootfs directory");
        }
        Path dir = in.directory(comps.subList(0, comps.size() - 1), what, false);
        Path source = dir == null ? null : dir.resolve(comps.get(comps.size() - 1));
        BasicFileAttributes a = source == null ? null : InRoot.lstat(source);
        if (a == null) {
            throw new ImageException(what + ": its hardlink target \"" + e.getLinkName() + "\" does not exist");
        }
        if (a.isDirectory()) {
            throw new ImageException(what + ": its hardlink target \"" + e.getLinkName() + "\" is a directory");
        }
        try {
            Files.createLink(target, source);
        } catch (IOException ex) {
            throw new ImageException(what + ": link " + source + " to " + target + ": " + Errors.reason(ex));
        }
    }

    private void node(Path target, TarArchiveEntry e, String what) throws ImageException {
        String type = e.isFIFO() ? "p" : e.isCharacterDevice() ? "c" : "b";
        if (!e.isFIFO() && !options.asRoot()) {
            throw new ImageException(what + ": a device node (" + type + " " + e.getDevMajor() + ":" + e.getDevMinor()
                    + ") needs root to be made; unpack as root");
        }
        List<String> cmd = new ArrayList<>(List.of("/bin/mknod", "-m", Integer.toOctalString(e.getMode() & 07777),
                target.toString(), type));
        if (!e.isFIFO()) {
            cmd.add(Integer.toString(e.getDevMajor()));
            cmd.add(Integer.toString(e.getDevMinor()));
        }
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.PIPE).start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (p.waitFor() != 0) {
                throw new ImageException(what + ": mknod " + target + ": " + (out.isEmpty() ? "exit " + p.exitValue()
                        : out.substring(out.lastIndexOf(':') + 1).trim()));
            }
        } catch (IOException ex) {
            throw new ImageException(what + ": mknod " + target + ": " + Errors.reason(ex));
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new ImageException(what + ": mknod " + target + ": interrupted");
        }
    }

    private void owner(Path p, TarArchiveEntry e, String what) throws ImageException {
        if (!options.asRoot()) {
            return;
        }
        try {
            Files.setAttribute(p, "unix:uid", (int) e.getLongUserId(), NOFOLLOW);
            Files.setAttribute(p, "unix:gid", (int) e.getLongGroupId(), NOFOLLOW);
        } catch (IOException ex) {
            throw new ImageException(what + ": lchown " + p + " " + e.getLongUserId() + ":" + e.getLongGroupId()
                    + ": " + Errors.reason(ex));
        }
    }

    static void mode(Path p, int mode, String what) throws ImageException {
        try {
            Files.setAttribute(p, "unix:mode", mode, NOFOLLOW);
        } catch (IOException ex) {
            throw new ImageException(what + ": chmod " + p + " " + Integer.toOctalString(mode) + ": " + Errors.reason(ex));
        }
    }

    static void times(Path p, FileTime mtime, String what) throws ImageException {
        try {
            Files.getFileAttributeView(p, BasicFileAttributeView.class, NOFOLLOW).setTimes(mtime, mtime, null);
        } catch (IOException ex) {
            throw new ImageException(what + ": set times of " + p + ": " + Errors.reason(ex));
        }
    }

    /** Extended attributes from PAX SCHILY.xattr headers: the user.* ones (all that Java can set), where the filesystem takes them. */
    private static void xattrs(Path p, TarArchiveEntry e, String what) {
        Map<String, String> pax = e.getExtraPaxHeaders();
        if (pax.isEmpty() || Files.isSymbolicLink(p)) {
            return;
        }
        for (Map.Entry<String, String> x : pax.entrySet()) {
            if (!x.getKey().startsWith("SCHILY.xattr.user.")) {
                continue;
            }
            try {
                UserDefinedFileAttributeView v = Files.getFileAttributeView(p, UserDefinedFileAttributeView.class, NOFOLLOW);
                v.write(x.getKey().substring("SCHILY.xattr.user.".length()),
                        ByteBuffer.wrap(x.getValue().getBytes(StandardCharsets.ISO_8859_1)));
            } catch (IOException | UnsupportedOperationException ex) {
                // the filesystem does not take user xattrs (tmpfs before 6.6): the image runs without them
            }
        }
    }

    /** Removes what is at {@code p} (a directory with all it holds), never following a symlink. */
    void remove(Path p, BasicFileAttributes a, String what) throws ImageException {
        if (a == null) {
            return;
        }
        try {
            if (a.isDirectory()) {
                deleteTree(p);
            } else {
                Files.delete(p);
            }
        } catch (IOException ex) {
            throw new ImageException(what + ": remove " + p + ": " + Errors.reason(ex));
        }
        if (a.isDirectory() || a.isSymbolicLink()) {
            in.invalidate();
            dirs.keySet().removeIf(d -> d.startsWith(p));
        }
    }

    /** Deletes a tree without following symlinks (walkFileTree does not follow them by default). */
    static void deleteTree(Path dir) throws IOException {
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
                // a directory without search or write permission, as a non-root unpack can leave it
                Files.setAttribute(d, "unix:mode", 0700, LinkOption.NOFOLLOW_LINKS);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
                Files.delete(f);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                if (e != null) {
                    throw e;
                }
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
