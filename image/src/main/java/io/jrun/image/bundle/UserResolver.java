package io.jrun.image.bundle;

import io.jrun.image.ImageException;
import io.jrun.image.unpack.RootfsFiles;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Resolves an image's User ({@code user}, {@code uid}, {@code user:group}, {@code uid:gid}, ...)
 * against the rootfs's /etc/passwd and /etc/group, as Docker and runc do: a name must exist; a
 * number need not; the group defaults to the user's primary group (0 without a passwd entry); a
 * user named without a group gets the groups that list it as additional gids.
 */
final class UserResolver {
    record User(long uid, long gid, List<Long> additionalGids) {}

    private UserResolver() {}

    static User resolve(Path rootfs, String spec) throws ImageException {
        if (spec == null || spec.isEmpty()) {
            spec = "0";
        }
        String userPart = spec;
        String groupPart = null;
        int colon = spec.indexOf(':');
        if (colon >= 0) {
            userPart = spec.substring(0, colon);
            groupPart = spec.substring(colon + 1);
        }
        String passwd = RootfsFiles.read(rootfs, "/etc/passwd");
        String group = RootfsFiles.read(rootfs, "/etc/group");
        Long uid = number(userPart);
        String userName = null;
        Long gid = null;
        for (String[] f : entries(passwd, 4)) {
            if (uid == null ? f[0].equals(userPart) : f[2].equals(Long.toString(uid))) {
                userName = f[0];
                uid = number(f[2]);
                gid = number(f[3]);
                break;
            }
        }
        if (uid == null) {
            throw new ImageException("user \"" + spec + "\": no user \"" + userPart + "\" in the image's /etc/passwd");
        }
        List<Long> extra = new ArrayList<>();
        if (groupPart != null && !groupPart.isEmpty()) {
            gid = number(groupPart);
            if (gid == null) {
                for (String[] f : entries(group, 3)) {
                    if (f[0].equals(groupPart)) {
                        gid = number(f[2]);
                        break;
                    }
                }
                if (gid == null) {
                    throw new ImageException("user \"" + spec + "\": no group \"" + groupPart + "\" in the image's /etc/group");
                }
            }
        } else if (userName != null) {
            for (String[] f : entries(group, 4)) {
                Long g = number(f[2]);
                if (g != null && !g.equals(gid) && List.of(f[3].split(",")).contains(userName) && !extra.contains(g)) {
                    extra.add(g);
                }
            }
        }
        return new User(uid, gid == null ? 0 : gid, extra);
    }

    private static Long number(String s) {
        if (s == null || s.isEmpty() || !s.chars().allMatch(Character::isDigit) || s.length() > 10) {
            return null;
        }
        long v = Long.parseLong(s);
        return v <= 0xffffffffL ? v : null;
    }

    private static List<String[]> entries(String file, int fields) {
        List<String[]> out = new ArrayList<>();
        if (file == null) {
            return out;
        }
        for (String line : file.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split(":", -1);
            if (f.length >= fields) {
                out.add(f);
            }
        }
        return out;
    }
}
