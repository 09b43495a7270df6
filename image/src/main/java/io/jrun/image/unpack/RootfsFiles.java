package io.jrun.image.unpack;

import io.jrun.image.ImageException;
import io.jrun.image.store.Errors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;

/** Reads a file of an unpacked rootfs (e.g. /etc/passwd) as the container would, symlinks resolved inside it. */
public final class RootfsFiles {
    /** What is read whole from a rootfs (passwd, group): far more than any real one. */
    static final long MAX_SIZE = 16L << 20;

    private RootfsFiles() {}

    /** The file's text, or null when it does not exist; {@code path} is absolute in the container. */
    public static String read(Path rootfs, String path) throws ImageException {
        InRoot in = new InRoot(rootfs.toAbsolutePath().normalize());
        List<String> comps = InRoot.components(path.replaceFirst("^/+", ""), "read " + path, "the path");
        for (int links = 0; links < 40 && !comps.isEmpty(); links++) {
            Path dir = in.directory(comps.subList(0, comps.size() - 1), "read " + path, false);
            if (dir == null) {
                return null;
            }
            Path p = dir.resolve(comps.get(comps.size() - 1));
            BasicFileAttributes a = InRoot.lstat(p);
            if (a == null) {
                return null;
            }
            try {
                if (a.isRegularFile()) {
                    if (a.size() > MAX_SIZE) { // the image's /etc/passwd, say: read whole into memory
                        throw new ImageException("read " + path + " in " + rootfs + ": " + a.size()
                                + " bytes, more than the " + MAX_SIZE + " read from a rootfs");
                    }
                    return Files.readString(p);
                }
                if (!a.isSymbolicLink()) {
                    throw new ImageException("read " + path + " in " + rootfs + ": not a regular file");
                }
                String target = Files.readSymbolicLink(p).toString();
                List<String> next = new ArrayList<>();
                if (!target.startsWith("/")) {
                    next.addAll(comps.subList(0, comps.size() - 1));
                }
                next.addAll(List.of(target.split("/")));
                comps = InRoot.components(String.join("/", next.stream().filter(s -> !s.isEmpty()).toList()),
                        "read " + path, "a symlink on the path");
            } catch (IOException e) {
                throw new ImageException("read " + path + " in " + rootfs + ": " + Errors.reason(e));
            }
        }
        throw new ImageException("read " + path + " in " + rootfs + ": too many levels of symbolic links (ELOOP)");
    }
}
