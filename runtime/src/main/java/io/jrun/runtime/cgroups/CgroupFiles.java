package io.jrun.runtime.cgroups;

import io.jrun.runtime.JrunException;
import io.jrun.runtime.plan.Errno;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/** Reads and writes of cgroup files, with errors that name the file, the value and the errno. */
public final class CgroupFiles {
    private CgroupFiles() {}

    private static final ThreadLocal<List<String[]>> RECORDING = new ThreadLocal<>();

    /**
     * From now on this thread's {@link #write}s are recorded (dir, file, value) instead of made, until
     * {@link #stopRecording()}: what the plan cache stores for the launcher to make itself.
     */
    public static void startRecording() {
        RECORDING.set(new java.util.ArrayList<>());
    }

    /** The writes recorded since {@link #startRecording()}; writes are made again from now on. */
    public static List<String[]> stopRecording() {
        List<String[]> r = RECORDING.get();
        RECORDING.remove();
        return r == null ? List.of() : r;
    }

    /** Whether this thread's writes are being recorded ({@link #startRecording()}). */
    public static boolean recording() {
        return RECORDING.get() != null;
    }

    public static void write(Path dir, String file, String value) throws JrunException {
        List<String[]> recording = RECORDING.get();
        if (recording != null) {
            recording.add(new String[] {dir.toString(), file, value});
            return;
        }
        Path f = dir.resolve(file);
        try {
            // never CREATE: a missing file means the controller or the setting is missing here
            Files.writeString(f, value, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
        } catch (NoSuchFileException e) {
            throw new JrunException("write " + value + " to " + f + ": No such file or directory (ENOENT):"
                    + " the controller or this setting is missing on this host");
        } catch (FileSystemException e) {
            String why = e.getReason() != null ? e.getReason() : e.getClass().getSimpleName();
            throw new JrunException("write " + value + " to " + f + ": " + Errno.describe(why));
        } catch (IOException e) {
            throw new JrunException("write " + value + " to " + f + ": " + Errno.describe(String.valueOf(e.getMessage())));
        }
    }

    public static String read(Path dir, String file) throws JrunException {
        Path f = dir.resolve(file);
        try {
            return Files.readString(f).trim();
        } catch (IOException e) {
            throw new JrunException("read " + f + ": " + e.getMessage());
        }
    }

    /** The value of {@code key} in a flat-keyed file such as memory.events ("oom_kill 1"), or -1. */
    public static long keyed(Path dir, String file, String key) {
        try {
            for (String line : Files.readAllLines(dir.resolve(file))) {
                String[] w = line.trim().split(" ");
                if (w.length == 2 && w[0].equals(key)) {
                    return Long.parseLong(w[1]);
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
