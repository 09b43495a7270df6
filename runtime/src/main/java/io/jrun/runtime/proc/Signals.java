package io.jrun.runtime.proc;

import io.jrun.nativebind.StageBinary;
import io.jrun.runtime.JrunException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/** Signal names and numbers as runc accepts them (9, KILL, SIGKILL), and sending them safely. */
public final class Signals {
    /** Names without SIG and their numbers, 1-31, from asm/signal.h (SignalData, generated at build time). */
    private static final Map<String, Integer> NUMBERS = SignalData.NUMBERS;

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
