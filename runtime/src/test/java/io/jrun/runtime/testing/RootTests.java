package io.jrun.runtime.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Runs a test class only as root inside a private mount namespace (scripts/test.sh sets
 * that up), so a bug can never leave a mount on the host.  Without root the tests are
 * skipped, unless {@code -Djrun.it.required=true} (CI) makes that a failure.
 */
public final class RootTests implements ExecutionCondition {
    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        boolean required = Boolean.getBoolean("jrun.it.required");
        String why = null;
        if (!isRoot()) {
            why = "needs root";
        } else if (!inPrivateMountNamespace()) {
            why = "needs a private mount namespace: run scripts/test.sh (unshare -m --propagation private)";
        }
        if (why == null) {
            return ConditionEvaluationResult.enabled("root in a private mount namespace");
        }
        if (required) {
            throw new IllegalStateException("integration tests required (jrun.it.required) but " + why);
        }
        return ConditionEvaluationResult.disabled(why);
    }

    public static boolean isRoot() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return line.substring(4).trim().split("\t")[1].equals("0");
                }
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }

    /** scripts/test.sh records the mount namespace it was started in, then unshares a private one. */
    static boolean inPrivateMountNamespace() {
        String host = System.getenv("JRUN_TEST_HOST_MNTNS");
        try {
            return host != null && !host.isEmpty()
                    && !Files.readSymbolicLink(Path.of("/proc/self/ns/mnt")).toString().equals(host);
        } catch (IOException e) {
            return false;
        }
    }
}
