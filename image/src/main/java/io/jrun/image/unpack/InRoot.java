package io.jrun.image.unpack;

import io.jrun.image.ImageException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Resolves paths inside a rootfs the way the container will see them, one component at a time,
 * never following a symlink out of it: every component is looked at with lstat (NOFOLLOW); a
 * symlink is replaced by its target, an absolute target taken from the rootfs's own root; a
 * {@code ..} that would climb above the rootfs is an error (a hostile image, never a real one).
 * Reads only ({@link RootfsFiles}: the image's passwd and group); the unpack, which writes, goes
 * through {@link RootDir}'s held directory fds instead, so nothing swapped in meanwhile redirects it.
 */
final class InRoot {
    private static final int MAX_LINKS = 40;

    private final Path root;
    private final Map<String, Path> dirs = new HashMap<>(); // resolved directories, by entry-relative name

    InRoot(Path root) {
        this.root = root;
    }

    Path root() {
        return root;
    }

    /** Forget resolved directories: something in the tree was removed or replaced. */
    void invalidate() {
        dirs.clear();
    }

    /**
     * Splits an entry's name into its components, refusing a {@code ..} that leaves the rootfs; "" and "."
     * components are dropped, so an absolute name ("/", "/bin/sh", as {@code umoci insert ... /} writes)
     * is taken from the rootfs's root, as containerd and umoci take it.
     */
    static List<String> components(String name, String entry, String what) throws ImageException {
        List<String> out = new ArrayList<>();
        for (String c : name.split("/")) {
            if (c.isEmpty() || c.equals(".")) {
                continue;
            }
            if (c.equals("..")) {
                if (out.isEmpty()) {
                    throw new ImageException(entry + ": " + what + " leaves the rootfs through \"..\"");
                }
                out.remove(out.size() - 1);
            } else {
                out.add(c);
            }
        }
        return out;
    }

    /**
     * The real directory that the components name inside the rootfs, following symlinks within it;
     * with {@code create}, missing directories are made (mode 0755) on the way.  Returns null when a
     * component is missing and {@code create} is false.
     */
    Path directory(List<String> comps, String entry, boolean create) throws ImageException {
        String key = String.join("/", comps);
        Path cached = dirs.get(key);
        if (cached != null) {
            return cached;
        }
        Deque<String> todo = new ArrayDeque<>(comps);
        Deque<String> at = new ArrayDeque<>(); // the real components so far
        int links = 0;
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
                continue;
            }
            Path p = path(at).resolve(c);
            BasicFileAttributes a = lstat(p);
            if (a == null) {
                if (!create) {
                    return null;
                }
                try {
                    Files.createDirectory(p);
                } catch (IOException e) {
                    throw new ImageException(entry + ": mkdir " + p + ": " + io.jrun.image.store.Errors.reason(e));
                }
                at.addLast(c);
            } else if (a.isDirectory()) {
                at.addLast(c);
            } else if (a.isSymbolicLink()) {
                if (++links > MAX_LINKS) {
                    throw new ImageException(entry + ": too many levels of symbolic links (ELOOP) at " + p);
                }
                String target;
                try {
                    target = Files.readSymbolicLink(p).toString();
                } catch (IOException e) {
                    throw new ImageException(entry + ": readlink " + p + ": " + io.jrun.image.store.Errors.reason(e));
                }
                if (target.startsWith("/")) {
                    at.clear();
                }
                String[] t = target.split("/");
                for (int i = t.length - 1; i >= 0; i--) {
                    todo.addFirst(t[i]);
                }
            } else {
                throw new ImageException(entry + ": " + root.relativize(p) + " on its path is not a directory (ENOTDIR)");
            }
        }
        Path dir = path(at);
        dirs.put(key, dir);
        return dir;
    }

    private Path path(Deque<String> at) {
        Path p = root;
        for (String c : at) {
            p = p.resolve(c);
        }
        return p;
    }

    /** lstat, or null when nothing is there. */
    static BasicFileAttributes lstat(Path p) throws ImageException {
        try {
            return Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new ImageException("lstat " + p + ": " + io.jrun.image.store.Errors.reason(e));
        }
    }
}
