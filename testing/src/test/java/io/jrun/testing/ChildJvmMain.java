package io.jrun.testing;

import java.nio.file.Path;

/**
 * A JVM that starts a container and then either exits without closing it ({@code exit}) or
 * waits to be killed ({@code wait}); {@link LeakIT} runs it.  Prints "ID PID" once it runs.
 */
public final class ChildJvmMain {
    private ChildJvmMain() {}

    public static void main(String[] args) throws Exception {
        Engine engine = Engine.at(Path.of(args[1]), Path.of(args[2]));
        Container c = ContainerSpec.fromRootfs(Path.of(args[3])).withCommand("sleep", "1000").start(engine);
        System.out.println(c.id() + " " + c.pid());
        System.out.flush();
        if (args[0].equals("exit")) {
            System.exit(0); // the shutdown hook closes it
        }
        Thread.sleep(Long.MAX_VALUE);
    }
}
