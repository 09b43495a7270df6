package io.jrun.micro.closure;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;

/**
 * The source root (an unpacked image's rootfs, or the host's {@code /}) seen as the container
 * sees it: a path is resolved one component at a time with lstat, symlinks followed inside the
 * root (an absolute target starts again at the root, {@code ..} stops at it), so a link in an
 * image never leads to the host's files. Each symlink passed is reported, so the result can keep
 * it as a symlink.
 */
public final class SourceRoot {
    private static final int MAX_LINKS = 40;
    private final Path root;

    public SourceRoot(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    public Path root() {
        return root;
    }

    /** The host path of an absolute path inside the root, without resolving anything. */
    public Path host(String inRoot) {
        String rel = inRoot.startsWith("/") ? inRoot.substring(1) : inRoot;
        return rel.isEmpty() ? root : root.resolve(rel);
    }

    /**
     * A resolved path: {@code path} the final in-root path with no symlink in it (null when some
     * component is missing or a loop), {@code links} the in-root paths of the symlinks passed, in order.
     */
    public record Resolved(String path, List<String> links, BasicFileAttributes attrs) {
        public boolean exists() {
            return path != null;
        }
    }

    public Resolved resolve(String path) {
        List<String> links = new ArrayList<>();
        List<String> done = new ArrayList<>();
        List<String> todo = new ArrayList<>(components(path));
        int followed = 0;
        BasicFileAttributes attrs = attrs("/");
        while (!todo.isEmpty()) {
            String c = todo.remove(0);
            if (c.equals(".") || c.isEmpty()) {
                continue;
            }
            if (c.equals("..")) {
                if (!done.isEmpty()) {
                    done.remove(done.size() - 1);
                }
                attrs = attrs(join(done));
                continue;
            }
            done.add(c);
            String here = join(done);
            attrs = attrs(here);
            if (attrs == null) {
                return new Resolved(null, links, null);
            }
            if (attrs.isSymbolicLink()) {
                if (++followed > MAX_LINKS) {
                    return new Resolved(null, links, null);
                }
                links.add(here);
                String target;
                try {
                    target = Files.readSymbolicLink(host(here)).toString();
                } catch (IOException e) {
                    return new Resolved(null, links, null);
                }
                done.remove(done.size() - 1);
                if (target.startsWith("/")) {
                    done.clear();
                }
                todo.addAll(0, components(target));
                attrs = attrs(join(done));
            } else if (!todo.isEmpty() && !attrs.isDirectory()) {
                return new Resolved(null, links, null);
            }
        }
        return new Resolved(join(done), links, attrs);
    }

    /** lstat inside the root; null when missing. */
    public BasicFileAttributes attrs(String inRoot) {
        try {
            return Files.readAttributes(host(inRoot), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            return null;
        }
    }

    static List<String> components(String path) {
        List<String> out = new ArrayList<>();
        for (String s : path.split("/")) {
            if (!s.isEmpty()) {
                out.add(s);
            }
        }
        return out;
    }

    static String join(List<String> parts) {
        return parts.isEmpty() ? "/" : "/" + String.join("/", parts);
    }

    /** The parent of an absolute in-root path ("/" for "/x"). */
    public static String parent(String path) {
        int slash = path.lastIndexOf('/');
        return slash <= 0 ? "/" : path.substring(0, slash);
    }

    /** An absolute in-root path made normal: no empty, "." or ".." components (".." textually). */
    public static String normalize(String path) {
        List<String> done = new ArrayList<>();
        for (String c : components(path)) {
            if (c.equals("..")) {
                if (!done.isEmpty()) {
                    done.remove(done.size() - 1);
                }
            } else if (!c.equals(".")) {
                done.add(c);
            }
        }
        return join(done);
    }
}
