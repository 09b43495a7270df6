package io.jrun.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Files into and out of a running container as tar streams to and from a {@code tar} that runs in
 * it: paths resolve in the container's mount namespace, so its symlinks point inside it, and the
 * host sees nothing of the container's mounts.  The image needs {@code sh}, {@code mkdir} and
 * {@code tar} (busybox has them).  They run as root, whatever the container's user.
 */
final class Copies {
    private Copies() {}

    static void copyIn(Container c, Path host, String containerPath) {
        requireAbsolute(containerPath);
        Path src = host.toAbsolutePath().normalize();
        if (!Files.exists(src, LinkOption.NOFOLLOW_LINKS)) {
            throw new ContainerException("copy " + host + " into " + c.id() + ": No such file or directory (ENOENT)");
        }
        boolean tree = Files.isDirectory(src, LinkOption.NOFOLLOW_LINKS);
        String target = tree ? containerPath : parent(containerPath);
        String name = tree ? null : basename(containerPath);
        List<Path> entries = new ArrayList<>();
        if (tree) {
            try (Stream<Path> walk = Files.walk(src)) {
                walk.sorted().filter(p -> !p.equals(src)).forEach(entries::add);
            } catch (IOException e) {
                throw new ContainerException("copy " + host + " into " + c.id() + ": " + e.getMessage());
            }
        }
        String first = tree ? (entries.isEmpty() ? null : src.relativize(entries.get(0)).toString()) : name;
        untarIn(c, target, first, "copy " + host + " to " + containerPath, out -> {
            try (TarArchiveOutputStream tar = tar(out)) {
                if (tree) {
                    for (Path p : entries) {
                        add(tar, p, src.relativize(p).toString());
                    }
                } else {
                    add(tar, src, name);
                }
            }
        });
    }

    static void copyIn(Container c, byte[] content, String containerPath, int mode) {
        requireAbsolute(containerPath);
        untarIn(c, parent(containerPath), basename(containerPath), "write " + containerPath, out -> {
            try (TarArchiveOutputStream tar = tar(out)) {
                TarArchiveEntry e = new TarArchiveEntry(basename(containerPath));
                e.setSize(content.length);
                e.setMode(0100000 | (mode & 07777));
                e.setModTime(System.currentTimeMillis());
                tar.putArchiveEntry(e);
                tar.write(content);
                tar.closeArchiveEntry();
            }
        });
    }

    /**
     * Unpacks the tar stream {@code writer} writes into {@code dir} in the container.  busybox tar
     * exits 0 on a stream that ends before its first header ("short read"), so success also needs
     * {@code first}, the stream's first entry, to be there afterwards.
     */
    private static void untarIn(Container c, String dir, String first, String what, Container.StdinWriter writer) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        String script = "mkdir -p \"$1\" && tar -x -f - -C \"$1\" || exit"
                + "; [ -z \"$2\" ] || [ -e \"$1/$2\" ] || [ -L \"$1/$2\" ] || { echo \"$1/$2: not there after tar\" >&2; exit 1; }";
        int status = c.exec(List.of("sh", "-c", script, "sh", dir, first == null ? "" : first), writer,
                OutputStream.nullOutputStream(), err, true);
        if (status != 0) {
            throw new ContainerException(what + " in " + c.id() + ": tar exited with " + status + ": "
                    + Container.firstLine(err));
        }
    }

    static void copyOut(Container c, String containerPath, Path host) {
        requireAbsolute(containerPath);
        String name = basename(containerPath);
        Path dest = host.toAbsolutePath().normalize();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Path tmp;
        try {
            tmp = Files.createTempFile(c.workDir(), "copy-out", ".tar");
        } catch (IOException e) {
            throw new ContainerException("copy " + containerPath + " out of " + c.id() + ": " + e.getMessage());
        }
        try {
            int status;
            try (OutputStream out = Files.newOutputStream(tmp)) {
                status = c.exec(List.of("tar", "-c", "-f", "-", "-C", parent(containerPath), name), null, out, err, true);
            }
            if (status != 0) {
                throw new ContainerException("copy " + containerPath + " out of " + c.id() + ": tar exited with "
                        + status + ": " + Container.firstLine(err));
            }
            try (InputStream in = Files.newInputStream(tmp); TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
                extract(tar, name, dest);
            }
        } catch (IOException e) {
            throw new ContainerException("copy " + containerPath + " out of " + c.id() + " to " + host + ": "
                    + e.getMessage());
        } finally {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // the container's directory goes at close
            }
        }
    }

    /**
     * Writes the entries under {@code top/} (and {@code top} itself) to {@code dest}; refuses names
     * that leave it, and entries whose way there passes a symlink (the stream comes from the
     * container: a symlink it made must not carry a later entry, a directory's mode or a hard
     * link's target onto the host's files).
     */
    static void extract(TarArchiveInputStream tar, String top, Path dest) throws IOException {
        List<Object[]> dirModes = new ArrayList<>();
        for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
            String n = e.getName();
            while (n.endsWith("/")) {
                n = n.substring(0, n.length() - 1);
            }
            if (n.startsWith("./")) {
                n = n.substring(2);
            }
            Path out;
            if (n.equals(top)) {
                out = dest;
            } else if (n.startsWith(top + "/")) {
                out = dest.resolve(n.substring(top.length() + 1)).normalize();
            } else {
                throw new IOException("unexpected entry " + e.getName());
            }
            if (!out.startsWith(dest)) {
                throw new IOException("entry " + e.getName() + " leaves " + dest);
            }
            requireNoSymlink(dest, out, e.isDirectory(), e.getName());
            Files.createDirectories(out.getParent());
            if (e.isDirectory()) {
                Files.createDirectories(out);
                dirModes.add(new Object[] {out, e.getMode()});
            } else if (e.isSymbolicLink()) {
                Files.deleteIfExists(out);
                Files.createSymbolicLink(out, Path.of(e.getLinkName()));
            } else if (e.isLink()) {
                Path target = dest.resolve(e.getLinkName().substring(Math.min(e.getLinkName().length(),
                        top.length() + 1))).normalize();
                if (!target.startsWith(dest)) {
                    throw new IOException("hard link " + e.getName() + " leaves " + dest);
                }
                requireNoSymlink(dest, target, false, e.getName() + " (hard link to " + e.getLinkName() + ")");
                Files.deleteIfExists(out);
                Files.createLink(out, target);
            } else if (e.isFile()) {
                Files.copy(tar, out, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                Files.setPosixFilePermissions(out, perms(e.getMode()));
            }
        }
        for (int i = dirModes.size() - 1; i >= 0; i--) {
            Path dir = (Path) dirModes.get(i)[0];
            if (Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) { // not replaced by a later symlink entry
                Files.setPosixFilePermissions(dir, perms((Integer) dirModes.get(i)[1]));
            }
        }
    }

    /** Refuses {@code p} below {@code dest} when a component on the way (and {@code p} itself if {@code last}) is a symlink. */
    private static void requireNoSymlink(Path dest, Path p, boolean last, String entry) throws IOException {
        if (p.equals(dest)) {
            return;
        }
        Path rel = dest.relativize(p);
        Path at = dest;
        for (int i = 0; i < rel.getNameCount() - (last ? 0 : 1); i++) {
            at = at.resolve(rel.getName(i));
            if (Files.isSymbolicLink(at)) {
                throw new IOException("entry " + entry + " passes the symlink " + at);
            }
        }
    }

    private static Set<PosixFilePermission> perms(int mode) {
        Set<PosixFilePermission> s = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] all = PosixFilePermission.values(); // OWNER_READ .. OTHERS_EXECUTE, 0400 .. 0001
        for (int i = 0; i < 9; i++) {
            if ((mode & (0400 >> i)) != 0) {
                s.add(all[i]);
            }
        }
        return s;
    }

    private static TarArchiveOutputStream tar(OutputStream out) {
        TarArchiveOutputStream t = new TarArchiveOutputStream(out, StandardCharsets.UTF_8.name());
        t.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        t.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        return t;
    }

    private static void add(TarArchiveOutputStream tar, Path p, String name) throws IOException {
        TarArchiveEntry e;
        if (Files.isSymbolicLink(p)) {
            e = new TarArchiveEntry(name, TarConstants.LF_SYMLINK);
            e.setLinkName(Files.readSymbolicLink(p).toString());
        } else {
            e = new TarArchiveEntry(p, name, LinkOption.NOFOLLOW_LINKS);
        }
        tar.putArchiveEntry(e);
        if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
            Files.copy(p, tar);
        }
        tar.closeArchiveEntry();
    }

    private static void requireAbsolute(String p) {
        if (!p.startsWith("/") || p.equals("/")) {
            throw new IllegalArgumentException(p + ": an absolute path in the container, not /");
        }
    }

    static String parent(String p) {
        String s = strip(p);
        int i = s.lastIndexOf('/');
        return i <= 0 ? "/" : s.substring(0, i);
    }

    static String basename(String p) {
        String s = strip(p);
        return s.substring(s.lastIndexOf('/') + 1);
    }

    private static String strip(String p) {
        String s = p;
        while (s.length() > 1 && s.endsWith("/")) {
            s = s.substring(0, s.length() - 1);
        }
        return s;
    }
}
