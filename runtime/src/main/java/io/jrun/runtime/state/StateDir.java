package io.jrun.runtime.state;

import io.jrun.runtime.JrunException;
import io.jrun.runtime.json.JsonWriter;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Map;

/** A container's directory under the state root ({@code --root}): {@code <root>/<id>/state.json}. */
public final class StateDir {
    private final Path dir;

    private StateDir(Path dir) {
        this.dir = dir;
    }

    public Path path() {
        return dir;
    }

    /** Letters, digits and {@code _+.-}, starting with a letter or digit (no regex: it costs ~10 ms cold). */
    public static void checkId(String id) throws JrunException {
        boolean ok = !id.isEmpty() && id.length() <= 1024 && Character.isLetterOrDigit(id.charAt(0));
        for (int i = 0; ok && i < id.length(); i++) {
            char c = id.charAt(i);
            ok = c < 128 && (Character.isLetterOrDigit(c) || c == '_' || c == '+' || c == '.' || c == '-');
        }
        if (!ok) {
            throw new JrunException("container id \"" + id + "\": use letters, digits and _+.- only,"
                    + " starting with a letter or digit");
        }
    }

    /** Creates the directory of a new container; fails when the id is taken. */
    public static StateDir create(Path root, String id) throws JrunException {
        checkId(id);
        Path dir = root.resolve(id);
        try {
            if (!Files.isDirectory(root)) {
                Files.createDirectories(root);
                Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwx------"));
            }
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (FileAlreadyExistsException e) {
            throw new JrunException("create " + dir + ": container \"" + id + "\" already exists (EEXIST)");
        } catch (IOException e) {
            throw new JrunException("create " + dir + ": " + e.getMessage());
        }
        return new StateDir(dir);
    }

    /** Writes the OCI state of the container, atomically. */
    public void writeState(String id, String status, long pid, Path bundle, Map<String, String> annotations)
            throws JrunException {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("ociVersion", "1.0.2");
        s.put("id", id);
        s.put("status", status);
        s.put("pid", pid);
        s.put("bundle", bundle.toString());
        if (!annotations.isEmpty()) {
            s.put("annotations", new LinkedHashMap<>(annotations));
        }
        Path tmp = dir.resolve("state.json.tmp");
        Path target = dir.resolve("state.json");
        try {
            Files.writeString(tmp, JsonWriter.write(s));
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new JrunException("write " + target + ": " + e.getMessage());
        }
    }

    /** Removes the directory and what is in it (no subdirectories are ever made). */
    public void remove() throws JrunException {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path f : files) {
                Files.deleteIfExists(f);
            }
        } catch (NoSuchFileException e) {
            return;
        } catch (IOException e) {
            throw new JrunException("remove " + dir + ": " + e.getMessage());
        }
        try {
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            throw new JrunException("remove " + dir + ": " + e.getMessage());
        }
    }

    public boolean exists() {
        return Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS);
    }
}
