package io.jrun.micro.etc;

import io.jrun.micro.MicroException;
import io.jrun.micro.closure.SourceRoot;
import io.jrun.micro.manifest.Manifest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;

/**
 * The minimal /etc a program expects, generated rather than copied (MICRO.md's failures 3):
 * passwd and group with root and the process user (its entry taken from the source's files when
 * it is there), hosts with localhost, and an nsswitch.conf that asks files before DNS.
 */
public final class EtcFiles {
    /** The process user as resolved in the source: the numbers and, when known, the names. */
    public record User(long uid, long gid, String name, String group, String home) {}

    private EtcFiles() {}

    /** Resolves NAME, UID, NAME:GROUP or UID:GID against the source's /etc/passwd and /etc/group. */
    public static User resolve(SourceRoot root, String spec) throws MicroException {
        if (spec == null || spec.isEmpty()) {
            spec = "0";
        }
        int colon = spec.indexOf(':');
        String u = colon < 0 ? spec : spec.substring(0, colon);
        String g = colon < 0 ? null : spec.substring(colon + 1);
        List<String[]> passwd = entries(root, "/etc/passwd", 7);
        List<String[]> group = entries(root, "/etc/group", 4);
        Long uid = number(u);
        String name = null;
        Long gid = null;
        String home = null;
        for (String[] f : passwd) {
            if (uid == null ? f[0].equals(u) : f[2].equals(Long.toString(uid))) {
                name = f[0];
                uid = number(f[2]);
                gid = number(f[3]);
                home = f[5];
                break;
            }
        }
        if (uid == null) {
            throw new MicroException("user \"" + spec + "\": no user \"" + u + "\" in " + root.host("/etc/passwd"));
        }
        if (g != null && !g.isEmpty()) {
            gid = number(g);
            if (gid == null) {
                for (String[] f : group) {
                    if (f[0].equals(g)) {
                        gid = number(f[2]);
                    }
                }
                if (gid == null) {
                    throw new MicroException("user \"" + spec + "\": no group \"" + g + "\" in " + root.host("/etc/group"));
                }
            }
        }
        if (gid == null) {
            gid = uid == 0 ? 0L : uid;
        }
        String groupName = null;
        for (String[] f : group) {
            if (f[2].equals(Long.toString(gid))) {
                groupName = f[0];
                break;
            }
        }
        return new User(uid, gid, name, groupName, home);
    }

    /** Adds the generated files to the manifest (replacing the source's). */
    public static void generate(Manifest m, User user) {
        String why = "generated: ";
        StringBuilder passwd = new StringBuilder("root:x:0:0:root:/root:/sbin/nologin\n");
        StringBuilder group = new StringBuilder("root:x:0:\n");
        if (user.uid() != 0) {
            String name = user.name() != null ? user.name() : "app";
            String home = user.home() != null && !user.home().isEmpty() ? user.home() : "/";
            passwd.append(name).append(":x:").append(user.uid()).append(':').append(user.gid()).append("::")
                    .append(home).append(":/sbin/nologin\n");
        }
        if (user.gid() != 0) {
            String name = user.group() != null ? user.group() : (user.name() != null ? user.name() : "app");
            group.append(name).append(":x:").append(user.gid()).append(":\n");
        }
        passwd.append("nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n");
        group.append("nogroup:x:65534:\n");
        m.generate("/etc/passwd", bytes(passwd), 0644, why + "root and the process user (uid " + user.uid() + ")");
        m.generate("/etc/group", bytes(group), 0644, why + "root and the process group (gid " + user.gid() + ")");
        m.generate("/etc/hosts", bytes("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"), 0644,
                why + "localhost for the resolver");
        m.generate("/etc/nsswitch.conf", bytes("passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n"
                + "networks: files\nprotocols: files\nservices: files\n"), 0644,
                why + "NSS from files first (no DNS query for localhost)");
    }

    private static byte[] bytes(CharSequence s) {
        return s.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static List<String[]> entries(SourceRoot root, String file, int fields) {
        List<String[]> out = new ArrayList<>();
        SourceRoot.Resolved r = root.resolve(file);
        if (!r.exists()) {
            return out;
        }
        try {
            for (String line : Files.readAllLines(root.host(r.path()), StandardCharsets.UTF_8)) {
                String[] f = line.split(":", -1);
                if (f.length >= fields - 1 && !line.startsWith("#")) {
                    out.add(f.length >= fields ? f : java.util.Arrays.copyOf(f, fields));
                }
            }
        } catch (IOException e) {
            return out;
        }
        for (String[] f : out) {
            for (int i = 0; i < f.length; i++) {
                if (f[i] == null) {
                    f[i] = "";
                }
            }
        }
        return out;
    }

    private static Long number(String s) {
        if (s.isEmpty() || s.length() > 10) {
            return null;
        }
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return null;
            }
        }
        return Long.parseLong(s);
    }
}
