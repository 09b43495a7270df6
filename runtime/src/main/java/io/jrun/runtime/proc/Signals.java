package io.jrun.runtime.proc;

import io.jrun.nativebind.StageBinary;
import io.jrun.runtime.JrunException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/** Signal names and numbers as runc accepts them (9, KILL, SIGKILL), and sending them safely. */
public final class Signals {
    private static final Map<String, Integer> NUMBERS = Map.ofEntries(
            Map.entry("HUP", 1), Map.entry("INT", 2), Map.entry("QUIT", 3), Map.entry("ILL", 4),
            Map.entry("TRAP", 5), Map.entry("ABRT", 6), Map.entry("IOT", 6), Map.entry("BUS", 7),
            Map.entry("FPE", 8), Map.entry("KILL", 9), Map.entry("USR1", 10), Map.entry("SEGV", 11),
            Map.entry("USR2", 12), Map.entry("PIPE", 13), Map.entry("ALRM", 14), Map.entry("TERM", 15),
            Map.entry("STKFLT", 16), Map.entry("CHLD", 17), Map.entry("CONT", 18), Map.entry("STOP", 19),
            Map.entry("TSTP", 20), Map.entry("TTIN", 21), Map.entry("TTOU", 22), Map.entry("URG", 23),
            Map.entry("XCPU", 24), Map.entry("XFSZ", 25), Map.entry("VTALRM", 26), Map.entry("PROF", 27),
            Map.entry("WINCH", 28), Map.entry("IO", 29), Map.entry("POLL", 29), Map.entry("PWR", 30),
            Map.entry("SYS", 31));

    private Signals() {}

    /** "9", "KILL", "SIGKILL", "sigkill", "RTMIN+2" → the number. */
    public static int parse(String s) throws JrunException {
        String u = s.toUpperCase();
        if (u.startsWith("SIG")) {
            u = u.substring(3);
        }
        try {
            int n = Integer.parseInt(u);
            if (n > 0 && n <= 64) {
                return n;
            }
        } catch (NumberFormatException e) {
            Integer n = NUMBERS.get(u);
            if (n != null) {
                return n;
            }
            if (u.startsWith("RTMIN") || u.startsWith("RTMAX")) {
                int off = u.length() == 5 ? 0 : parseOffset(u.substring(5));
                int v = u.startsWith("RTMIN") ? 34 + off : 64 + off;
                if (v >= 34 && v <= 64) {
                    return v;
                }
            }
        }
        throw new JrunException("signal \"" + s + "\": not a signal name or number (1-64)");
    }

    private static int parseOffset(String s) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            return 1000;
        }
    }

    /**
     * Sends {@code sig} to {@code pid} if it still is the process that started at {@code startTime},
     * through the stage (pidfd_open + pidfd_send_signal): no JNI on the CLI's path, no pid reuse race.
     */
    public static void send(Path stageDir, long pid, long startTime, int sig) throws JrunException {
        try {
            Path stage = StageBinary.installedIn(stageDir);
            Process p = new ProcessBuilder(stage.toString(), "--signal", Long.toString(pid), Long.toString(startTime),
                    Integer.toString(sig)).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            if (p.waitFor() != 0) {
                throw new JrunException(out.startsWith("jrun: ") ? out.substring(6) : "kill " + pid + ": " + out);
            }
        } catch (IOException e) {
            throw new JrunException("kill " + pid + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new JrunException("kill " + pid + ": interrupted");
        }
    }
}
