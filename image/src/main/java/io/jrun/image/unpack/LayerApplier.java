package io.jrun.image.unpack;

import io.jrun.image.ImageException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
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
 * children), in {@code dirs}, by their real path inside the rootfs. Every change is made relative to
 * a directory held open ({@link RootDir}), never through a path resolved again.
 */
final class LayerApplier {
    private static final String WHITEOUT = ".wh.";
    private static final String OPAQUE = ".wh..wh..opq";
    private static final int S_IFIFO = 0010000;
    private static final int S_IFCHR = 0020000;
    private static final int S_IFBLK = 0060000;

    /** A directory's mode and times, set after everything else. */
    record DirAttrs(int mode, FileTime mtime) {}

    private final RootDir in;
    private final UnpackOptions options;
    private final Map<String, DirAttrs> dirs;
    // real paths this layer wrote, and the directories that hold them (made implicitly or not):
    // an opaque whiteout keeps both, and empties the second of what lower layers left in them
    private final Set<String> touched = new HashSet<>();
    private final Set<String> holding = new HashSet<>();
    private final byte[] buf = new byte[1 << 16];
    private String entryName = "";

    LayerApplier(RootDir in, UnpackOptions options, Map<String, DirAttrs> dirs) {
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

    private void touch(String rel) {
        touched.add(rel);
        for (int i = rel.lastIndexOf('/'); i > 0; i = rel.lastIndexOf('/', i - 1)) {
            if (!holding.add(rel.substring(0, i))) {
                break;
            }
        }
    }

    private void entry(TarArchiveInputStream tar, TarArchiveEntry e, String what) throws ImageException, IOException {
        in.settle(); // no directory of the entry before is in use
        List<String> comps = InRoot.components(e.getName(), what, "its path");
        if (comps.isEmpty()) { // the rootfs itself
            if (e.isDirectory()) {
                dirs.put("", new DirAttrs(e.getMode() & 07777, e.getLastModifiedTime()));
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
        RootDir.Dir parent = in.directory(parentComps, what, true);
        String rel = parent.child(base);
        Path shown = in.show(rel);
        touch(rel);
        BasicFileAttributes old = in.lstat(parent, base);
        if (e.isDirectory()) {
            if (old != null && !old.isDirectory()) {
                remove(parent, base, old, what);
            }
            if (old == null || !old.isDirectory()) {
                in.mkdir(parent, base, what);
            }
            int fd = in.openDirectory(parent, base, what);
            try {
                if (options.asRoot()) {
                    RootDir.fchown(fd, e.getLongUserId(), e.getLongGroupId(), shown.toString(), what);
                }
                xattrs(fd, e);
            } finally {
                RootDir.close(fd);
            }
            dirs.put(rel, new DirAttrs(e.getMode() & 07777, e.getLastModifiedTime()));
            return;
        }
        if (old != null) {
            remove(parent, base, old, what);
        }
        if (e.isLink()) {
            hardlink(parent, base, e, what);
            return;
        }
        if (e.isSymbolicLink()) {
            in.symlink(parent, base, e.getLinkName(), what);
            if (options.asRoot()) {
                in.lchown(parent, base, e.getLongUserId(), e.getLongGroupId(), what);
            }
            in.ltimes(parent, base, e.getLastModifiedTime(), what);
        } else if (e.isCharacterDevice() || e.isBlockDevice() || e.isFIFO()) {
            node(parent, base, e, what);
            if (options.asRoot()) {
                in.lchown(parent, base, e.getLongUserId(), e.getLongGroupId(), what);
                // chown clears set-id bits: the mode again
                in.mknodMode(parent, base, e.getMode() & 07777, what);
            }
            in.ltimes(parent, base, e.getLastModifiedTime(), what);
        } else if (e.isFile()) {
            int fd = in.createFile(parent, base, what);
            try {
                for (int n; (n = tar.read(buf)) > 0; ) {
                    in.writeAll(fd, buf, n, shown.toString(), what);
                }
                if (options.asRoot()) {
                    RootDir.fchown(fd, e.getLongUserId(), e.getLongGroupId(), shown.toString(), what);
                }
                xattrs(fd, e);
                RootDir.futimes(fd, e.getLastModifiedTime(), shown.toString(), what);
                RootDir.fchmod(fd, e.getMode() & 07777, shown.toString(), what);
            } finally {
                RootDir.close(fd);
            }
        } else {
            throw new ImageException(what + ": unsupported entry type '" + (char) e.getLinkFlag() + "'");
        }
    }

    private void whiteout(List<String> parentComps, String base, String what) throws ImageException {
        RootDir.Dir parent = in.directory(parentComps, what, false);
        if (base.equals(OPAQUE)) {
            if (parent == null) {
                return;
            }
            opaque(parent, what);
            touch(parent.rel());
            return;
        }
        String name = base.substring(WHITEOUT.length());
        if (name.isEmpty() || name.equals(".") || name.equals("..") || name.startsWith(WHITEOUT)) {
            throw new ImageException(what + ": a whiteout of \"" + name + "\" is aimed outside its directory");
        }
        if (parent == null) {
            return;
        }
        BasicFileAttributes a = in.lstat(parent, name);
        if (a != null) {
            remove(parent, name, a, what);
        }
    }

    /**
     * Empties {@code dir} of what lower layers left in it: what this layer wrote stays; a directory
     * this layer wrote, or one that holds something it wrote (a directory made implicitly by an entry
     * below it), stays too, emptied of lower layers' entries in turn.
     */
    private void opaque(RootDir.Dir dir, String what) throws ImageException {
        for (String name : in.list(dir, what)) {
            String rel = dir.child(name);
            boolean ours = touched.contains(rel) || holding.contains(rel);
            BasicFileAttributes a = in.lstat(dir, name);
            if (a == null) {
                continue;
            }
            if (ours && a.isDirectory()) {
                int fd = in.openDirectory(dir, name, what);
                try {
                    opaque(new RootDir.Dir(fd, rel), what);
                } finally {
                    RootDir.close(fd);
                }
            } else if (!touched.contains(rel)) {
                remove(dir, name, a, what);
            }
        }
    }

    private void hardlink(RootDir.Dir parent, String base, TarArchiveEntry e, String what) throws ImageException {
        List<String> comps = InRoot.components(e.getLinkName(), what, "its hardlink target \"" + e.getLinkName() + "\"");
        if (comps.isEmpty()) {
            throw new ImageException(what + ": a hardlink to the rootfs directory");
        }
        String srcName = comps.get(comps.size() - 1);
        RootDir.Dir dir = in.directory(comps.subList(0, comps.size() - 1), what, false);
        BasicFileAttributes a = dir == null ? null : in.lstat(dir, srcName);
        if (a == null) {
            throw new ImageException(what + ": its hardlink target \"" + e.getLinkName() + "\" does not exist");
        }
        if (a.isDirectory()) {
            throw new ImageException(what + ": its hardlink target \"" + e.getLinkName() + "\" is a directory");
        }
        in.link(dir, srcName, parent, base, what);
    }

    private void node(RootDir.Dir parent, String base, TarArchiveEntry e, String what) throws ImageException {
        String type = e.isFIFO() ? "p" : e.isCharacterDevice() ? "c" : "b";
        if (!e.isFIFO() && !options.asRoot()) {
            throw new ImageException(what + ": a device node (" + type + " " + e.getDevMajor() + ":" + e.getDevMinor()
                    + ") needs root to be made; unpack as root");
        }
        int ifmt = e.isFIFO() ? S_IFIFO : e.isCharacterDevice() ? S_IFCHR : S_IFBLK;
        in.mknod(parent, base, ifmt, e.getMode() & 07777, e.isFIFO() ? 0 : e.getDevMajor(), e.isFIFO() ? 0 : e.getDevMinor(), what);
    }

    /** Extended attributes from PAX SCHILY.xattr headers: the user.* ones, where the filesystem takes them. */
    private static void xattrs(int fd, TarArchiveEntry e) {
        Map<String, String> pax = e.getExtraPaxHeaders();
        for (Map.Entry<String, String> x : pax.entrySet()) {
            if (x.getKey().startsWith("SCHILY.xattr.user.")) {
                // false where the filesystem does not take user xattrs (tmpfs before 6.6): the image runs without them
                RootDir.fsetxattr(fd, x.getKey().substring("SCHILY.xattr.".length()),
                        x.getValue().getBytes(StandardCharsets.ISO_8859_1));
            }
        }
    }

    /** Removes {@code name} in {@code parent} (a directory with all it holds), never following a symlink. */
    private void remove(RootDir.Dir parent, String name, BasicFileAttributes a, String what) throws ImageException {
        in.remove(parent, name, what);
        if (a.isDirectory() || a.isSymbolicLink()) {
            String rel = parent.child(name);
            in.invalidate();
            dirs.keySet().removeIf(d -> d.equals(rel) || d.startsWith(rel + "/"));
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
