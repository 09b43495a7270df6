package io.jrun.cli;

/**
 * The build's training run for the class-data archive or AOT cache (cli/assemble.sh): one JVM runs
 * the commands users run most through {@link Main#execute}, so that the archive holds what each of
 * them loads, not only {@code run}'s: {@code run}, then {@code create}, {@code start}, {@code state},
 * {@code delete}, and the errors met most often (a directory without config.json, an id in use).
 * Not a user command. Usage: {@code Training STATE_ROOT BUNDLE ID}.
 */
public final class Training {
    private Training() {}

    public static void main(String[] args) {
        String root = args[0];
        String bundle = args[1];
        String id = args[2];
        Main.execute(new String[] {"--root", root, "run", "--bundle", bundle, id + "-run"});
        Main.execute(new String[] {"--root", root, "create", "--bundle", bundle, id});
        Main.execute(new String[] {"--root", root, "create", "--bundle", bundle, id}); // in use
        Main.execute(new String[] {"--root", root, "start", id});
        Main.execute(new String[] {"--root", root, "state", id});
        Main.execute(new String[] {"--root", root, "delete", "--force", id});
        Main.execute(new String[] {"--root", root, "run", "--bundle", bundle + "/rootfs", id + "-none"});
        System.exit(0);
    }
}
