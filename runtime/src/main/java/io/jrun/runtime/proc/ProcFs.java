package io.jrun.runtime.proc;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** What /proc says about processes: enough to tell a container's init from a reused pid. */
public final class ProcFs {
    private ProcFs() {}

    /** Field 22 of /proc/PID/stat (start time in clock ticks since boot), or -1 when PID does not exist. */
    public static long startTime(long pid) {
        String[] f = statFields(pid);
        return f == null ? -1 : Long.parseLong(f[19]);
    }

    /** True when PID exists, started at {@code startTime}, and is not a zombie. */
    public static boolean alive(long pid, long startTime) {
        String[] f = statFields(pid);
        return f != null && Long.parseLong(f[19]) == startTime && !f[0].equals("Z") && !f[0].equals("X");
    }

    /** The fields after the command (field 3 on) of /proc/PID/stat, or null. */
    private static String[] statFields(long pid) {
        if (pid <= 0) {
            return null;
        }
        try {
            String s = Files.readString(Path.of("/proc/" + pid + "/stat"));
            return s.substring(s.lastIndexOf(')') + 2).trim().split(" ");
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** The processes in the pid namespace of {@code pid} (by /proc/N/ns/pid), {@code pid} first. */
    public static List<Long> inPidNamespaceOf(long pid) {
        List<Long> out = new ArrayList<>();
        String ns;
        try {
            ns = Files.readSymbolicLink(Path.of("/proc/" + pid + "/ns/pid")).toString();
        } catch (IOException e) {
            return out;
        }
        out.add(pid);
        try (DirectoryStream<Path> d = Files.newDirectoryStream(Path.of("/proc"))) {
            for (Path p : d) {
                String name = p.getFileName().toString();
                if (name.isEmpty() || !Character.isDigit(name.charAt(0)) || name.equals(Long.toString(pid))) {
                    continue;
                }
                try {
                    if (Files.readSymbolicLink(p.resolve("ns/pid")).toString().equals(ns)) {
                        out.add(Long.parseLong(name));
                    }
                } catch (IOException e) {
                    // gone meanwhile
                }
            }
        } catch (IOException e) {
            // /proc unreadable: only the init is known
        }
        return out;
    }
}
