package io.jrun.testing;

import java.nio.file.Path;

/**
 * A JVM that starts a container and then either exits without closing it ({@code exit}) or
 * waits to be killed ({@code wait}, or {@code prepared}: with containers of its spec prepared
 * ahead); {@link LeakIT} runs it.  Prints "ID PID" once it runs.
 */
public final class ChildJvmMain {
    private ChildJvmMain() {}

    public static void main(String[] args) throws Exception {
        Engine engine = Engine.at(Path.of(args[1]), Path.of(args[2]));
        ContainerSpec spec = ContainerSpec.fromRootfs(Path.of(args[3])).withCommand("sleep", "1000");
        boolean prepared = args[0].equals("prepared"); // two more created ahead, waiting to be started
        if (prepared) {
            engine.prepare(spec, 2);
        }
        Container c = spec.start(engine); // takes the first prepared one
        if (prepared) {
            engine.prepare(spec, 2); // its replacement now, not when it ends (as the JUnit extension asks)
        }
        for (int i = 0; prepared && i < 3000 && engine.preparedCount(spec) < 2; i++) {
            Thread.sleep(10); // the one that replaces it
        }
        System.out.println(c.id() + " " + c.pid());
        System.out.flush();
        if (args[0].equals("exit")) {
            System.exit(0); // the shutdown hook closes it
        }
        Thread.sleep(Long.MAX_VALUE);
    }
}
