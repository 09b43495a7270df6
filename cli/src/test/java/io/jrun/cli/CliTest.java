package io.jrun.cli;

import io.jrun.runtime.testing.HostLeakCheck;
import io.jrun.runtime.testing.RootTests;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** What every CLI integration test has: root in a private mount namespace, a temp dir, jrun with its own state root, and a leak check. */
@ExtendWith({RootTests.class, HostLeakCheck.class})
abstract class CliTest {
    @TempDir
    Path tmp;

    JrunCli jrun;

    @BeforeEach
    void setUpCli() {
        jrun = new JrunCli(tmp);
    }
}
