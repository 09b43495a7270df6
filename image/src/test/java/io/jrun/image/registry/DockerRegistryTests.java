package io.jrun.image.registry;

import java.nio.file.Files;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Runs a test class only where Debian's {@code docker-registry} is installed (scripts/setup.sh
 * installs it); without it the tests are skipped, unless {@code -Djrun.it.required=true} (CI)
 * makes that a failure.
 */
public final class DockerRegistryTests implements ExecutionCondition {
    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        if (Files.isExecutable(LocalRegistry.BINARY)) {
            return ConditionEvaluationResult.enabled(LocalRegistry.BINARY + " is installed");
        }
        String why = "needs " + LocalRegistry.BINARY + " (apt-get install docker-registry)";
        if (Boolean.getBoolean("jrun.it.required")) {
            throw new IllegalStateException("integration tests required (jrun.it.required) but " + why);
        }
        return ConditionEvaluationResult.disabled(why);
    }
}
