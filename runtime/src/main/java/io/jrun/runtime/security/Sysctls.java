package io.jrun.runtime.security;

import java.util.Set;

/**
 * Which sysctls a container may set: only those its own namespaces isolate (as runc
 * allows them); any other would change the host for everyone.
 */
public final class Sysctls {
    private static final Set<String> IPC = Set.of("kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
            "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced");
    private static final Set<String> UTS = Set.of("kernel.hostname", "kernel.domainname");

    private Sysctls() {}

    /**
     * Null when {@code key} may be set with these namespaces (types with a new namespace of their
     * own), else the reason it may not.
     */
    public static String refusal(String key, Set<String> newNamespaces) {
        if (IPC.contains(key) || key.startsWith("fs.mqueue.")) {
            return newNamespaces.contains("ipc") ? null : "it needs a new ipc namespace";
        }
        if (key.startsWith("net.")) {
            return newNamespaces.contains("network") ? null : "it needs a new network namespace";
        }
        if (UTS.contains(key)) {
            return newNamespaces.contains("uts") ? null : "it needs a new uts namespace";
        }
        return "it is not namespaced: it would change the host";
    }

    /** "net.ipv4.ip_forward" → "net/ipv4/ip_forward" (a key may use '/' already). */
    public static String path(String key) {
        return key.indexOf('/') >= 0 ? key : key.replace('.', '/');
    }
}
