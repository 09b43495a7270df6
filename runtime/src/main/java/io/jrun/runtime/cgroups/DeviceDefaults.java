package io.jrun.runtime.cgroups;

import io.jrun.runtime.spec.Spec;
import java.util.ArrayList;
import java.util.List;

/**
 * The device rules a container gets: its config's, with jrun's own devices (the ones it makes
 * in /dev, a pty's, and the config's linux.devices) allowed again right after the config's
 * last deny-all, as runc allows its defaults (with runc's /dev/net/tun and mknod of any device).
 * A later rule in the config still overrides them.
 */
public final class DeviceDefaults {
    private DeviceDefaults() {}

    private static Spec.DeviceRule allow(String type, Long major, Long minor) {
        return new Spec.DeviceRule(true, type, major, minor, "rwm");
    }

    public static Spec.Resources withDefaults(Spec spec) {
        Spec.Resources r = spec.linux().resources();
        List<Spec.DeviceRule> out = rules(r.devices(), spec.linux().devices());
        if (out == r.devices()) {
            return r;
        }
        return new Spec.Resources(r.memory(), r.cpu(), r.pidsLimit(), r.blockIo(), r.hugepageLimits(), out,
                r.unified());
    }

    /** {@code rules} with jrun's devices and the container's {@code devices} allowed after the last deny-all (the same list when none). */
    public static List<Spec.DeviceRule> rules(List<Spec.DeviceRule> rules, List<Spec.Device> devices) {
        int lastDenyAll = -1;
        for (int i = 0; i < rules.size(); i++) {
            Spec.DeviceRule d = rules.get(i);
            if (!d.allow() && (d.type() == null || d.type().isEmpty() || d.type().equals("a")) && d.major() == null
                    && d.minor() == null) {
                lastDenyAll = i;
            }
        }
        if (lastDenyAll < 0) {
            return rules;
        }
        List<Spec.DeviceRule> out = new ArrayList<>(rules.subList(0, lastDenyAll + 1));
        for (long[] d : new long[][] {{1, 3}, {1, 5}, {1, 7}, {1, 8}, {1, 9}, {5, 0}, {5, 2}}) {
            out.add(allow("c", d[0], d[1])); // null zero full random urandom tty ptmx
        }
        out.add(allow("c", 136L, null)); // /dev/pts/*
        out.add(allow("c", 10L, 200L)); // /dev/net/tun, as runc allows it
        // mknod of any device (opening it stays denied), as runc allows it
        out.add(new Spec.DeviceRule(true, "c", null, null, "m"));
        out.add(new Spec.DeviceRule(true, "b", null, null, "m"));
        for (Spec.Device d : devices) {
            if (!d.type().equals("p")) { // a fifo is no device to the devices controller
                out.add(allow(d.type().equals("u") ? "c" : d.type(), d.major(), d.minor()));
            }
        }
        out.addAll(rules.subList(lastDenyAll + 1, rules.size()));
        return out;
    }
}
