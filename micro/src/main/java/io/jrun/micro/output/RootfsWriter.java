package io.jrun.micro.output;

import io.jrun.micro.MicroException;
import io.jrun.micro.closure.SourceRoot;
import io.jrun.micro.manifest.Manifest;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes the manifest's paths into a rootfs directory: files copied with their mode, owner and
 * mtime (a .pyc is checked against its source's mtime: copies without them made Python recompile
 * on every start), symlinks as symlinks with their targets, directories with the source's mode,
 * owner and mtime, generated files as made. Paths already there are left alone, so a traced round
 * adds only what is new.
 */
public final class RootfsWriter {
    private RootfsWriter() {}

    public static void write(SourceRoot src, Manifest m, Path dest) throws MicroException {
        List<String> dirs = new ArrayList<>();
        try {
            Files.createDirectories(dest);
            for (Map.Entry<String, Manifest.Item> e : m.items().entrySet()) {
                String path = e.getKey();
                if (path.equals("/")) {
                    continue;
                }
                Path to = dest.resolve(path.substring(1));
                ensureParents(src, dest, path, dirs);
                Manifest.Item it = e.getValue();
                if (Files.exists(to, LinkOption.NOFOLLOW_LINKS) && it.kind() != Manifest.Kind.GENERATED) {
                    continue;
                }
                switch (it.kind()) {
                    case DIR -> {
                        Files.createDirectories(to);
                        dirs.add(path);
                    }
                    case SYMLINK -> Files.createSymbolicLink(to, Files.readSymbolicLink(src.host(path)));
                    case FILE -> {
                        BasicFileAttributes a = src.attrs(path);
                        if (a != null && (a.isRegularFile() || a.isSymbolicLink())) {
                            Files.copy(src.host(path), to, StandardCopyOption.COPY_ATTRIBUTES, LinkOption.NOFOLLOW_LINKS);
                        }
                    }
                    case GENERATED -> {
                        if (it.content() == null) {
                            Files.createDirectories(to);
                            Files.setAttribute(to, "unix:mode", it.mode());
                        } else {
                            Files.deleteIfExists(to);
                            Files.write(to, it.content());
                            Files.setAttribute(to, "unix:mode", it.mode());
                        }
                    }
                    default -> throw new IllegalStateException();
                }
            }
            // directories last, deepest first: their mtimes are not touched again by a child
            for (int i = dirs.size() - 1; i >= 0; i--) {
                copyDirAttrs(src, dirs.get(i), dest.resolve(dirs.get(i).substring(1)));
            }
        } catch (FileAlreadyExistsException e) {
            throw new MicroException("write " + e.getFile() + ": File exists (EEXIST)");
        } catch (IOException e) {
            throw MicroException.io("write the rootfs " + dest, e);
        }
    }

    private static void ensureParents(SourceRoot src, Path dest, String path, List<String> dirs) throws IOException {
        String parent = SourceRoot.parent(path);
        if (parent.equals("/") || Files.isDirectory(dest.resolve(parent.substring(1)), LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        ensureParents(src, dest, parent, dirs);
        Files.createDirectory(dest.resolve(parent.substring(1)));
        dirs.add(parent);
    }

    private static void copyDirAttrs(SourceRoot src, String path, Path to) throws IOException {
        BasicFileAttributes a = src.attrs(path);
        if (a == null || !a.isDirectory()) {
            return;
        }
        Path from = src.host(path);
        Map<String, Object> u = Files.readAttributes(from, "unix:mode,uid,gid", LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(to, "unix:mode", u.get("mode"), LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(to, "unix:uid", u.get("uid"), LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(to, "unix:gid", u.get("gid"), LinkOption.NOFOLLOW_LINKS);
        Files.setLastModifiedTime(to, FileTime.from(a.lastModifiedTime().toInstant()));
    }

    /** Files (anything but directories) and the bytes of regular files under a directory, not crossing mounts. */
    public record Size(long files, long bytes) {
        public Size plus(Size o) {
            return new Size(files + o.files, bytes + o.bytes);
        }
    }

    public static Size size(Path dir) throws IOException {
        long[] n = new long[2];
        Object dev = Files.getAttribute(dir, "unix:dev", LinkOption.NOFOLLOW_LINKS);
        Files.walkFileTree(dir, new java.nio.file.SimpleFileVisitor<>() {
            @Override
            public java.nio.file.FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
                if (!d.equals(dir) && !dev.equals(Files.getAttribute(d, "unix:dev", LinkOption.NOFOLLOW_LINKS))) {
                    return java.nio.file.FileVisitResult.SKIP_SUBTREE;
                }
                return java.nio.file.FileVisitResult.CONTINUE;
            }

            @Override
            public java.nio.file.FileVisitResult visitFile(Path f, BasicFileAttributes attrs) {
                n[0]++;
                if (attrs.isRegularFile()) {
                    n[1] += attrs.size();
                }
                return java.nio.file.FileVisitResult.CONTINUE;
            }

            @Override
            public java.nio.file.FileVisitResult visitFileFailed(Path f, IOException e) {
                return java.nio.file.FileVisitResult.CONTINUE;
            }
        });
        return new Size(n[0], n[1]);
    }
}
