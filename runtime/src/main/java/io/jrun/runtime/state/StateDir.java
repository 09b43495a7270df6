package io.jrun.runtime.state;

import io.jrun.runtime.JrunException;
import io.jrun.runtime.cgroups.ContainerCgroup;
import io.jrun.runtime.json.Json;
import io.jrun.runtime.json.JsonException;
import io.jrun.runtime.json.JsonWriter;
import io.jrun.runtime.json.TextFile;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A container's directory under the state root ({@code --root}): {@code state.json}
 * (written atomically), {@code exec.fifo} while the container is created but not started,
 * and {@code lock}, which serialises the jrun processes acting on it.
 */
public final class StateDir {
    public static final String STATE = "state.json";
    public static final String EXEC_FIFO = "exec.fifo";
    /** A copy of config.json as it was at create, for exec. */
    public static final String CONFIG = "config.json";
    private static final String LOCK = "lock";
    /** jrun's record of the cgroup it made (see {@link #writeCgroupRecord}). */
    public static final String CGROUP = "cgroup.json";
    private final Path dir;
    private final String id;

    private StateDir(Path dir, String id) {
        this.dir = dir;
        this.id = id;
    }

    public Path path() {
        return dir;
    }

    public Path execFifo() {
        return dir.resolve(EXEC_FIFO);
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
        try {
            // the lock exists from the start: a later command on a full filesystem need not make it
            Files.createFile(dir.resolve(LOCK));
        } catch (IOException e) {
            try {
                Files.deleteIfExists(dir);
            } catch (IOException ignored) {
                // the first error is the one to report
            }
            throw new JrunException("create " + dir.resolve(LOCK) + ": " + e.getMessage());
        }
        return new StateDir(dir, id);
    }

    /** The directory of an existing container, or empty. */
    public static java.util.Optional<StateDir> find(Path root, String id) throws JrunException {
        checkId(id);
        Path dir = root.resolve(id);
        return Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS) ? java.util.Optional.of(new StateDir(dir, id))
                : java.util.Optional.empty();
    }

    /** The ids under root, sorted; directories starting with '.' are jrun's own. */
    public static List<String> ids(Path root) throws JrunException {
        List<String> ids = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return ids;
        }
        try (DirectoryStream<Path> d = Files.newDirectoryStream(root)) {
            for (Path p : d) {
                String n = p.getFileName().toString();
                if (!n.startsWith(".") && Files.isRegularFile(p.resolve(STATE))) {
                    ids.add(n);
                }
            }
        } catch (IOException e) {
            throw new JrunException("list " + root + ": " + e.getMessage());
        }
        ids.sort(null);
        return ids;
    }

    /** Holds the container's lock until closed: one jrun at a time changes a container. */
    public FileLock lock() throws JrunException {
        Path f = dir.resolve(LOCK);
        if (Files.exists(f, LinkOption.NOFOLLOW_LINKS) && !Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
            throw new JrunException("lock " + f + ": not a regular file (jrun does not open it)");
        }
        try {
            FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            return ch.lock();
        } catch (NoSuchFileException e) {
            throw new JrunException("container \"" + id + "\" does not exist");
        } catch (IOException e) {
            throw new JrunException("lock " + f + ": " + e.getMessage());
        }
    }

    /** Writes the state, atomically (a temporary file renamed over the old one). */
    public void write(ContainerState s) throws JrunException {
        writeAtomically(STATE, text(s));
    }

    /** The bytes {@link #write} puts in state.json for {@code s}. */
    public static String text(ContainerState s) {
        Map<String, Object> m = s.toOci(s.started() ? "running" : "created");
        m.put("jrun.pidStartTime", s.pidStartTime());
        if (s.cgroup() != null) {
            m.put("jrun.cgroup", cgroupJson(s.cgroup()));
        }
        return JsonWriter.write(m);
    }

    /** The bytes {@link #writeCgroupRecord} puts in cgroup.json for {@code r}. */
    public static String cgroupText(ContainerState.CgroupRecord r) {
        return JsonWriter.write(cgroupJson(r));
    }

    private static Map<String, Object> cgroupJson(ContainerState.CgroupRecord r) {
        Map<String, Object> cg = new LinkedHashMap<>();
        cg.put("v2", r.v2());
        cg.put("dirs", r.dirs());
        cg.put("created", r.created());
        return cg;
    }

    /**
     * jrun's own record of the cgroup it made for this container, written before anything is placed in it:
     * what {@code delete --force} kills and removes when state.json is lost, and what the cgroup that
     * state.json names must be.
     */
    public void writeCgroupRecord(ContainerState.CgroupRecord r) throws JrunException {
        writeAtomically(CGROUP, cgroupText(r));
    }

    /** The record of {@link #writeCgroupRecord}, or null when there is none (or it cannot be read). */
    @SuppressWarnings("unchecked")
    public ContainerState.CgroupRecord readCgroupRecord() {
        try {
            Object o = Json.parse(TextFile.read(dir.resolve(CGROUP), 1 << 20));
            return o instanceof Map<?, ?> c ? cgroupRecord((Map<String, Object>) c) : null;
        } catch (JrunException | RuntimeException e) {
            return null;
        }
    }

    private static ContainerState.CgroupRecord cgroupRecord(Map<String, Object> c) {
        return new ContainerState.CgroupRecord(Boolean.TRUE.equals(c.get("v2")), strings(c.get("dirs")),
                strings(c.get("created")));
    }

    private void writeAtomically(String name, String text) throws JrunException {
        writeAtomically(name, text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    void writeAtomically(String name, byte[] bytes) throws JrunException {
        Path tmp = dir.resolve(name + ".tmp");
        Path target = dir.resolve(name);
        try {
            Files.write(tmp, bytes);
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // the first error is the one to report
            }
            throw new JrunException("write " + target + ": " + e.getMessage());
        }
    }

    @SuppressWarnings("unchecked")
    public ContainerState read() throws JrunException {
        Path f = dir.resolve(STATE);
        if (!Files.exists(f, LinkOption.NOFOLLOW_LINKS)) {
            throw new JrunException("container \"" + id + "\" does not exist");
        }
        try {
            // a FIFO is refused before it is opened, a huge file before it is read
            Map<String, Object> m = (Map<String, Object>) Json.parse(TextFile.read(f, 1 << 20));
            Map<String, String> ann = new LinkedHashMap<>();
            Object a = m.get("annotations");
            if (a instanceof Map) {
                for (Map.Entry<String, Object> e : ((Map<String, Object>) a).entrySet()) {
                    ann.put(e.getKey(), String.valueOf(e.getValue()));
                }
            }
            ContainerState.CgroupRecord cg = null;
            if (m.get("jrun.cgroup") instanceof Map) {
                cg = cgroupRecord((Map<String, Object>) m.get("jrun.cgroup"));
            }
            long pid = (Long) m.get("pid");
            if (pid <= 1 || !id.equals(m.get("id"))) { // kill(0 or -1) would reach far more than a container
                throw new JrunException("read " + f + ": pid " + pid + " or id \"" + m.get("id") + "\" is not this"
                        + " container's");
            }
            if (cg != null) {
                ContainerState.CgroupRecord kept = readCgroupRecord();
                // compared field by field: a record's equals bootstraps ObjectMethods, ~40 ms cold per command
                if (kept != null && (kept.v2() != cg.v2() || !kept.dirs().equals(cg.dirs())
                        || !kept.created().equals(cg.created()))) {
                    throw new JrunException("read " + f + ": its cgroup " + cg.dirs() + " is not the one jrun recorded"
                            + " for this container at create (" + kept.dirs() + ")");
                }
                ContainerCgroup.checkRecorded(cg.dirs(), cg.created(), "read " + f);
            }
            return new ContainerState((String) m.get("id"), pid, (Long) m.get("jrun.pidStartTime"),
                    (String) m.get("bundle"), (String) m.get("rootfs"), (String) m.get("created"), ann,
                    "running".equals(m.get("status")), cg);
        } catch (JrunException e) {
            throw new JrunException(e.getMessage() + " (a damaged state file)");
        } catch (JsonException | ClassCastException | NullPointerException e) {
            throw new JrunException("read " + f + ": not a jrun state file (" + e.getMessage() + ")");
        }
    }

    private static List<String> strings(Object o) {
        List<String> out = new ArrayList<>();
        if (o instanceof List<?> l) {
            for (Object x : l) {
                out.add(String.valueOf(x));
            }
        }
        return out;
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
}
