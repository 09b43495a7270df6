package io.jrun.testing;

/** What a command run in a container with {@link Container#exec(String...)} did: its status (128+N for signal N) and output. */
public record ExecResult(int exitCode, String stdout, String stderr) {
    public boolean succeeded() {
        return exitCode == 0;
    }
}
