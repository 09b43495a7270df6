package io.jrun.image.unpack;

import io.jrun.image.ImageException;
import io.jrun.image.store.Errors;
import io.jrun.runtime.plan.Errno;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotLinkException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import jnr.ffi.LastError;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.In;

/**
 * A rootfs held open as a directory fd, and every change the unpack makes in it done relative to
 * directory fds reached from that one, one component at a time with {@code O_NOFOLLOW}: nothing is
 * resolved again from a path, so a directory renamed or a symlink swapped in while the unpack runs
 * (by another user who can write above or inside the rootfs) cannot redirect a write, chmod, chown,
 * link or removal outside the rootfs. Symlinks of the image are followed inside it, as the container
 * will see them: their targets are walked again from the held root, never by the kernel.
 *
 * <p>Reads that change nothing (lstat, readlink, listing a directory) go through
 * {@code /proc/self/fd/N/NAME}: the kernel takes the held directory for {@code /proc/self/fd/N}
 * and does not follow NAME.
 */
final class RootDir implements AutoCloseable {
    private static final int AT_FDCWD = -100;
    private static final int O_RDONLY = 0;
    private static final int O_WRONLY = 01;
    private static final int O_CREAT = 0100;
    private static final int O_EXCL = 0200;
    private static final int O_DIRECTORY = 0200000;
    private static final int O_NOFOLLOW = 0400000;
    private static final int O_CLOEXEC = 02000000;
    private static final int AT_SYMLINK_NOFOLLOW = 0x100;
    private static final int AT_REMOVEDIR = 0x200;
    static final int ENOENT = 2;
    static final int EEXIST = 17;
    static final int ENOTDIR = 20;
    static final int EISDIR = 21;
    static final int ELOOP = 40;
    private static final int MAX_LINKS = 40;
    private static final int CACHED = 32;

    /** The calls made here; paths are NUL-terminated UTF-8 bytes, whatever the JVM's charset. */
    public interface LibC {
        int openat(int dirfd, @In byte[] path, int flags, int mode);

        int close(int fd);

        int mkdirat(int dirfd, @In byte[] path, int mode);

        int symlinkat(@In byte[] target, int dirfd, @In byte[] path);

        int linkat(int olddirfd, @In byte[] oldpath, int newdirfd, @In byte[] newpath, int flags);

        int unlinkat(int dirfd, @In byte[] path, int flags);

        int mknodat(int dirfd, @In byte[] path, int mode, long dev);

        int fchownat(int dirfd, @In byte[] path, int uid, int gid, int flags);

        int fchmodat(int dirfd, @In byte[] path, int mode, int flags);

        int fchmod(int fd, int mode);

        int fchown(int fd, int uid, int gid);

        int utimensat(int dirfd, @In byte[] path, @In long[] times, int flags);

        int futimens(int fd, @In long[] times);

        long write(int fd, @In byte[] buf, long count);

        int fsetxattr(int fd, @In byte[] name, @In byte[] value, long size, int flags);
    }

    private static final class Holder {
        static final LibC LIBC = LibraryLoader.create(LibC.class).load("c");
        static final Runtime RUNTIME = Runtime.getRuntime(LIBC);
    }

    /** A directory of the rootfs held open, and its real path inside it ("" for the root). */
    record Dir(int fd, String rel) {
        String child(String name) {
            return rel.isEmpty() ? name : rel + "/" + name;
        }
    }

    private final Path root;
    private final Dir rootDir;
    private final LinkedHashMap<String, Dir> cache = new LinkedHashMap<>(16, 0.75f, true); // by entry-relative name
    private final List<Integer> retired = new ArrayList<>(); // forgotten, still open until the entry ends

    private RootDir(Path root, int fd) {
        this.root = root;
        this.rootDir = new Dir(fd, "");
    }

    /**
     * Opens {@code root} (not through a symlink at its end) and checks that the caller owns it, so a
     * directory another user put in its place is not unpacked into.
     */
    static RootDir open(Path root) throws ImageException {
        int fd = Holder.LIBC.openat(AT_FDCWD, bytes(root.toString()), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
        if (fd < 0) {
            throw new ImageException("unpack into " + root + ": open: " + lastError());
        }
        RootDir r = new RootDir(root, fd);
        try {
            int owner = (Integer) Files.getAttribute(Path.of("/proc/self/fd/" + fd), "unix:uid");
            int self = UnpackOptions.effectiveUid();
            if (self >= 0 && owner != self) {
                throw new ImageException("unpack into " + root + ": owned by uid " + owner + ", not by the unpacking uid " + self);
            }
        } catch (IOException e) {
            r.close();
            throw new ImageException("unpack into " + root + ": stat /proc/self/fd/" + fd + ": " + Errors.reason(e));
        } catch (ImageException e) {
            r.close();
            throw e;
        }
        return r;
    }

    Path root() {
        return root;
    }

    Dir rootDir() {
        return rootDir;
    }

    /** The host path of a real path inside the rootfs: for messages only, never opened. */
    Path show(String rel) {
        return rel.isEmpty() ? root : root.resolve(rel);
    }

    static byte[] bytes(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        byte[] z = new byte[b.length + 1];
        System.arraycopy(b, 0, z, 0, b.length);
        return z;
    }

    static int errno() {
        return LastError.getLastError(Holder.RUNTIME);
    }

    static String lastError() {
        return Errno.describe(errno());
    }

    static LibC libc() {
        return Holder.LIBC;
    }

    /** {@code /proc/self/fd/N/name}: the entry {@code name} of the held directory, not followed when last. */
    static Path at(Dir d, String name) {
        return Path.of("/proc/self/fd/" + d.fd() + (name.isEmpty() ? "" : "/" + name));
    }

    /** lstat of {@code name} in {@code d}, or null when nothing is there. */
    BasicFileAttributes lstat(Dir d, String name) throws ImageException {
        try {
            return Files.readAttributes(at(d, name), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new ImageException("lstat " + show(d.child(name)) + ": " + Errors.reason(e));
        }
    }

    /** The names in {@code d}. */
    List<String> list(Dir d, String what) throws ImageException {
        try (Stream<Path> s = Files.list(at(d, ""))) {
            List<String> out = new ArrayList<>();
            for (Iterator<Path> i = s.iterator(); i.hasNext(); ) {
                out.add(i.next().getFileName().toString());
            }
            return out;
        } catch (IOException e) {
            throw new ImageException(what + ": list " + show(d.rel()) + ": " + Errors.reason(e));
        }
    }

    /**
     * Forget held directories: something in the tree was removed or replaced. They stay open until
     * {@link #settle()}: the entry being applied still uses the one it got.
     */
    void invalidate() {
        for (Dir d : cache.values()) {
            if (d.fd() != rootDir.fd()) {
                retired.add(d.fd());
            }
        }
        cache.clear();
    }

    /** Closes what {@link #invalidate()} forgot: between entries, when no directory is in use. */
    void settle() {
        for (int fd : retired) {
            Holder.LIBC.close(fd);
        }
        retired.clear();
    }

    @Override
    public void close() {
        invalidate();
        settle();
        Holder.LIBC.close(rootDir.fd());
    }

    /**
     * The real directory that the components name inside the rootfs, held open, following the image's
     * symlinks within it; with {@code create}, missing directories are made (mode 0755) on the way.
     * Returns null when a component is missing and {@code create} is false. The directory stays
     * open at least until the next {@link #settle()}.
     */
    Dir directory(List<String> comps, String entry, boolean create) throws ImageException {
        String key = String.join("/", comps);
        Dir cached = cache.get(key);
        if (cached != null) {
            return cached;
        }
        Dir d = walk(comps, entry, create);
        if (d != null) {
            cache.put(key, d);
            if (cache.size() > CACHED) {
                Iterator<Map.Entry<String, Dir>> eldest = cache.entrySet().iterator();
                Dir old = eldest.next().getValue();
                eldest.remove();
                if (old.fd() != rootDir.fd() && !cache.containsValue(old)) {
                    retired.add(old.fd()); // the entry may still use it
                }
            }
        }
        return d;
    }

    private Dir walk(List<String> comps, String entry, boolean create) throws ImageException {
        Deque<String> todo = new ArrayDeque<>(comps);
        Deque<String> at = new ArrayDeque<>(); // the real components so far
        Deque<Integer> fds = new ArrayDeque<>(); // one held directory per real component
        int links = 0;
        boolean done = false;
        try {
            while (!todo.isEmpty()) {
                String c = todo.pollFirst();
                if (c.isEmpty() || c.equals(".")) {
                    continue;
                }
                if (c.equals("..")) {
                    if (at.isEmpty()) {
                        throw new ImageException(entry + ": a symlink on its path leads out of the rootfs");
                    }
                    at.pollLast();
                    Holder.LIBC.close(fds.pollLast());
                    continue;
                }
                int cur = fds.isEmpty() ? rootDir.fd() : fds.peekLast();
                String rel = at.isEmpty() ? c : String.join("/", at) + "/" + c;
                byte[] name = bytes(c);
                int fd = Holder.LIBC.openat(cur, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
                if (fd < 0) {
                    int err = errno();
                    if (err == ENOENT) {
                        if (!create) {
                            return null;
                        }
                        if (Holder.LIBC.mkdirat(cur, name, 0755) != 0 && errno() != EEXIST) {
                            throw new ImageException(entry + ": mkdir " + show(rel) + ": " + lastError());
                        }
                        fd = Holder.LIBC.openat(cur, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
                        if (fd < 0) {
                            throw new ImageException(entry + ": open " + show(rel) + ": " + lastError());
                        }
                    } else if (err == ELOOP || err == ENOTDIR) {
                        String target;
                        try {
                            target = Files.readSymbolicLink(at(new Dir(cur, ""), c)).toString();
                        } catch (NotLinkException e) {
                            throw new ImageException(entry + ": " + rel + " on its path is not a directory (ENOTDIR)");
                        } catch (IOException e) {
                            throw new ImageException(entry + ": readlink " + show(rel) + ": " + Errors.reason(e));
                        }
                        if (++links > MAX_LINKS) {
                            throw new ImageException(entry + ": too many levels of symbolic links (ELOOP) at " + show(rel));
                        }
                        if (target.startsWith("/")) {
                            at.clear();
                            while (!fds.isEmpty()) {
                                Holder.LIBC.close(fds.pollLast());
                            }
                        }
                        String[] t = target.split("/");
                        for (int i = t.length - 1; i >= 0; i--) {
                            todo.addFirst(t[i]);
                        }
                        continue;
                    } else {
                        throw new ImageException(entry + ": open " + show(rel) + ": " + Errno.describe(err));
                    }
                }
                fds.addLast(fd);
                at.addLast(c);
            }
            done = true;
            return fds.isEmpty() ? rootDir : new Dir(fds.peekLast(), String.join("/", at));
        } finally {
            // the walk keeps only its last directory, and that one only when it succeeded
            Integer keep = done && !fds.isEmpty() ? fds.peekLast() : null;
            for (int fd : fds) {
                if (keep == null || fd != keep) {
                    Holder.LIBC.close(fd);
                }
            }
        }
    }

    /**
     * Opens the real directory {@code rel} (as {@link Dir#rel()} gave it) without following any
     * symlink, or returns -1 when it is no longer a directory there. The caller closes it.
     */
    int openReal(String rel, String what) throws ImageException {
        int cur = rootDir.fd();
        int fd = Holder.LIBC.openat(cur, bytes("."), O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
        if (fd < 0) {
            throw new ImageException(what + ": open " + root + ": " + lastError());
        }
        if (rel.isEmpty()) {
            return fd;
        }
        for (String c : rel.split("/")) {
            int next = Holder.LIBC.openat(fd, bytes(c), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
            int err = errno();
            Holder.LIBC.close(fd);
            if (next < 0) {
                if (err == ENOENT || err == ENOTDIR || err == ELOOP) {
                    return -1;
                }
                throw new ImageException(what + ": open " + show(rel) + ": " + Errno.describe(err));
            }
            fd = next;
        }
        return fd;
    }

    /** Creates {@code name} in {@code d} as a new regular file (never through a symlink), open for writing. */
    int createFile(Dir d, String name, String what) throws ImageException {
        int fd = Holder.LIBC.openat(d.fd(), bytes(name), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0) {
            throw new ImageException(what + ": create " + show(d.child(name)) + ": " + lastError());
        }
        return fd;
    }

    /** Opens the directory {@code name} in {@code d}, not through a symlink; the caller closes it. */
    int openDirectory(Dir d, String name, String what) throws ImageException {
        int fd = Holder.LIBC.openat(d.fd(), bytes(name), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
        if (fd < 0) {
            throw new ImageException(what + ": open " + show(d.child(name)) + ": " + lastError());
        }
        return fd;
    }

    void writeAll(int fd, byte[] buf, int n, String path, String what) throws ImageException {
        int off = 0;
        byte[] chunk = buf;
        while (off < n) {
            if (off > 0) {
                chunk = java.util.Arrays.copyOfRange(buf, off, n);
            }
            long w = Holder.LIBC.write(fd, chunk, n - off);
            if (w < 0) {
                throw new ImageException(what + ": write " + path + ": " + lastError());
            }
            off += (int) w;
        }
    }

    void mkdir(Dir d, String name, String what) throws ImageException {
        if (Holder.LIBC.mkdirat(d.fd(), bytes(name), 0755) != 0) {
            throw new ImageException(what + ": mkdir " + show(d.child(name)) + ": " + lastError());
        }
    }

    void symlink(Dir d, String name, String target, String what) throws ImageException {
        if (Holder.LIBC.symlinkat(bytes(target), d.fd(), bytes(name)) != 0) {
            throw new ImageException(what + ": create " + show(d.child(name)) + ": " + lastError());
        }
    }

    /** A hard link {@code name} in {@code d} to {@code srcName} in {@code src}; a symlink there is linked, not followed. */
    void link(Dir src, String srcName, Dir d, String name, String what) throws ImageException {
        if (Holder.LIBC.linkat(src.fd(), bytes(srcName), d.fd(), bytes(name), 0) != 0) {
            throw new ImageException(what + ": link " + show(src.child(srcName)) + " to " + show(d.child(name)) + ": " + lastError());
        }
    }

    /** mknod with the mode set exactly (the umask does not apply to the chmod after it). */
    void mknod(Dir d, String name, int type, int mode, long major, long minor, String what) throws ImageException {
        long dev = ((major & 0xfffff000L) << 32) | ((major & 0xfffL) << 8) | ((minor & 0xffffff00L) << 12) | (minor & 0xffL);
        byte[] n = bytes(name);
        if (Holder.LIBC.mknodat(d.fd(), n, type | (mode & 07777), dev) != 0) {
            throw new ImageException(what + ": mknod " + show(d.child(name)) + ": " + lastError());
        }
        mknodMode(d, name, mode & 07777, what);
    }

    /** chmod of {@code name} in {@code d}, refused (not followed) where it is a symlink. */
    void mknodMode(Dir d, String name, int mode, String what) throws ImageException {
        if (Holder.LIBC.fchmodat(d.fd(), bytes(name), mode, AT_SYMLINK_NOFOLLOW) != 0) {
            throw new ImageException(what + ": chmod " + show(d.child(name)) + " " + Integer.toOctalString(mode) + ": " + lastError());
        }
    }

    /** lchown of {@code name} in {@code d}. */
    void lchown(Dir d, String name, long uid, long gid, String what) throws ImageException {
        if (Holder.LIBC.fchownat(d.fd(), bytes(name), (int) uid, (int) gid, AT_SYMLINK_NOFOLLOW) != 0) {
            throw new ImageException(what + ": lchown " + show(d.child(name)) + " " + uid + ":" + gid + ": " + lastError());
        }
    }

    /** Sets atime and mtime of {@code name} in {@code d} (a symlink's own). */
    void ltimes(Dir d, String name, FileTime mtime, String what) throws ImageException {
        if (Holder.LIBC.utimensat(d.fd(), bytes(name), times(mtime), AT_SYMLINK_NOFOLLOW) != 0) {
            throw new ImageException(what + ": set times of " + show(d.child(name)) + ": " + lastError());
        }
    }

    static long[] times(FileTime t) {
        long nanos = t.to(java.util.concurrent.TimeUnit.NANOSECONDS);
        long sec = Math.floorDiv(nanos, 1_000_000_000L);
        long ns = Math.floorMod(nanos, 1_000_000_000L);
        return new long[] {sec, ns, sec, ns};
    }

    static void fchown(int fd, long uid, long gid, String path, String what) throws ImageException {
        if (Holder.LIBC.fchown(fd, (int) uid, (int) gid) != 0) {
            throw new ImageException(what + ": lchown " + path + " " + uid + ":" + gid + ": " + lastError());
        }
    }

    static void fchmod(int fd, int mode, String path, String what) throws ImageException {
        if (Holder.LIBC.fchmod(fd, mode) != 0) {
            throw new ImageException(what + ": chmod " + path + " " + Integer.toOctalString(mode) + ": " + lastError());
        }
    }

    static void futimes(int fd, FileTime mtime, String path, String what) throws ImageException {
        if (Holder.LIBC.futimens(fd, times(mtime)) != 0) {
            throw new ImageException(what + ": set times of " + path + ": " + lastError());
        }
    }

    /** A user.* extended attribute, where the filesystem takes it; false when it does not. */
    static boolean fsetxattr(int fd, String name, byte[] value) {
        return Holder.LIBC.fsetxattr(fd, bytes(name), value, value.length, 0) == 0;
    }

    static void close(int fd) {
        Holder.LIBC.close(fd);
    }

    /** Removes {@code name} in {@code d}, a directory with all it holds, never following a symlink. */
    void remove(Dir d, String name, String what) throws ImageException {
        removeAt(d.fd(), name, d.child(name), what);
    }

    private void removeAt(int dirfd, String name, String rel, String what) throws ImageException {
        byte[] n = bytes(name);
        if (Holder.LIBC.unlinkat(dirfd, n, 0) == 0) {
            return;
        }
        int err = errno();
        if (err == ENOENT) {
            return;
        }
        if (err != EISDIR) {
            throw new ImageException(what + ": remove " + show(rel) + ": " + Errno.describe(err));
        }
        int fd = Holder.LIBC.openat(dirfd, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
        if (fd < 0) {
            // a directory without search or read permission, as a non-root unpack can leave it
            Holder.LIBC.fchmodat(dirfd, n, 0700, AT_SYMLINK_NOFOLLOW);
            fd = Holder.LIBC.openat(dirfd, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
            if (fd < 0) {
                throw new ImageException(what + ": remove " + show(rel) + ": open: " + lastError());
            }
        }
        try {
            Holder.LIBC.fchmod(fd, 0700);
            for (String child : list(new Dir(fd, rel), what)) {
                removeAt(fd, child, rel + "/" + child, what);
            }
        } finally {
            Holder.LIBC.close(fd);
        }
        if (Holder.LIBC.unlinkat(dirfd, n, AT_REMOVEDIR) != 0) {
            throw new ImageException(what + ": remove " + show(rel) + ": " + lastError());
        }
    }
}
