package io.jrun.runtime.spec;

import io.jrun.runtime.JrunException;
import io.jrun.runtime.json.Json;
import io.jrun.runtime.json.JsonException;
import io.jrun.runtime.json.TextFile;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The only place that reads config.json: JSON to {@link Spec}, with an error
 * that names the field and what was wrong with it.
 */
public final class SpecReader {
    private final String file;

    private SpecReader(String file) {
        this.file = file;
    }

    public static Spec read(Path configJson) throws JrunException {
        return parse(TextFile.read(configJson, TextFile.CONFIG_LIMIT), configJson.toString());
    }

    public static Spec parse(String text, String file) throws JrunException {
        return new SpecReader(file).spec(tree(text, file));
    }

    private static Object tree(String text, String file) throws JrunException {
        try {
            return Json.parse(text);
        } catch (JsonException e) {
            throw new JrunException(file + ": malformed JSON at " + e.getMessage());
        }
    }

    /** An OCI process object alone, as {@code exec --process FILE} reads it. */
    @SuppressWarnings("unchecked")
    public static Spec.Process parseProcess(String text, String file) throws JrunException {
        SpecReader r = new SpecReader(file);
        return r.process(r.object(tree(text, file), "the top level"));
    }

    private JrunException wrong(String field, String expected, Object got) {
        return new JrunException(file + ": " + field + ": expected " + expected + ", got " + describe(got));
    }

    private static String describe(Object v) {
        if (v == null) {
            return "null";
        }
        if (v instanceof String s) {
            return "the string \"" + s + "\"";
        }
        if (v instanceof Number n) {
            return "the number " + n;
        }
        if (v instanceof Boolean b) {
            return b.toString();
        }
        return v instanceof Map ? "an object" : "an array";
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> object(Object v, String field) throws JrunException {
        if (!(v instanceof Map)) {
            throw wrong(field, "an object", v);
        }
        return (Map<String, Object>) v;
    }

    private Map<String, Object> optObject(Map<String, Object> m, String key, String field) throws JrunException {
        Object v = m.get(key);
        return v == null ? Map.of() : object(v, field);
    }

    private String string(Object v, String field) throws JrunException {
        if (!(v instanceof String s)) {
            throw wrong(field, "a string", v);
        }
        return s;
    }

    private String optString(Map<String, Object> m, String key, String field) throws JrunException {
        Object v = m.get(key);
        return v == null ? null : string(v, field);
    }

    private boolean optBool(Map<String, Object> m, String key, String field) throws JrunException {
        Object v = m.get(key);
        if (v == null) {
            return false;
        }
        if (!(v instanceof Boolean b)) {
            throw wrong(field, "true or false", v);
        }
        return b;
    }

    private long unsigned(Object v, String field, long max) throws JrunException {
        if (!(v instanceof Long n) || n < 0 || n > max) {
            throw wrong(field, "an integer from 0 to " + max, v);
        }
        return n;
    }

    private Long optUnsigned(Map<String, Object> m, String key, String field, long max) throws JrunException {
        Object v = m.get(key);
        return v == null ? null : unsigned(v, field, max);
    }

    private List<Object> optList(Map<String, Object> m, String key, String field) throws JrunException {
        Object v = m.get(key);
        if (v == null) {
            return List.of();
        }
        if (!(v instanceof List<?> l)) {
            throw wrong(field, "an array", v);
        }
        return new ArrayList<>(l);
    }

    private List<String> strings(Map<String, Object> m, String key, String field) throws JrunException {
        List<String> out = new ArrayList<>();
        List<Object> l = optList(m, key, field);
        for (int k = 0; k < l.size(); k++) {
            out.add(string(l.get(k), field + "[" + k + "]"));
        }
        return List.copyOf(out);
    }

    private Spec spec(Object tree) throws JrunException {
        Map<String, Object> m = object(tree, "the top level");
        String version = optString(m, "ociVersion", "ociVersion");
        if (version == null) {
            throw new JrunException(file + ": ociVersion: missing");
        }
        Map<String, Object> rootObj = optObject(m, "root", "root");
        Spec.Root root = rootObj.isEmpty() ? null
                : new Spec.Root(optString(rootObj, "path", "root.path"), optBool(rootObj, "readonly", "root.readonly"));
        List<Spec.Mount> mounts = new ArrayList<>();
        List<Object> ml = optList(m, "mounts", "mounts");
        for (int k = 0; k < ml.size(); k++) {
            String f = "mounts[" + k + "]";
            Map<String, Object> mo = object(ml.get(k), f);
            String dest = optString(mo, "destination", f + ".destination");
            if (dest == null) {
                throw new JrunException(file + ": " + f + ".destination: missing");
            }
            mounts.add(new Spec.Mount(dest, optString(mo, "type", f + ".type"), optString(mo, "source", f + ".source"),
                    strings(mo, "options", f + ".options"), idMappings(mo, "uidMappings", f + ".uidMappings"),
                    idMappings(mo, "gidMappings", f + ".gidMappings")));
        }
        Map<String, String> annotations = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : optObject(m, "annotations", "annotations").entrySet()) {
            annotations.put(e.getKey(), string(e.getValue(), "annotations." + e.getKey()));
        }
        Map<String, Object> proc = optObject(m, "process", "process");
        Map<String, Object> h = optObject(m, "hooks", "hooks");
        Spec.Hooks hooks = h.isEmpty() ? Spec.Hooks.NONE : new Spec.Hooks(hooks(h, "prestart"),
                hooks(h, "createRuntime"), hooks(h, "createContainer"), hooks(h, "startContainer"),
                hooks(h, "poststart"), hooks(h, "poststop"));
        return new Spec(version, proc.isEmpty() ? null : process(proc), root,
                optString(m, "hostname", "hostname"), optString(m, "domainname", "domainname"),
                List.copyOf(mounts), linux(optObject(m, "linux", "linux")), Map.copyOf(annotations), hooks);
    }

    private List<Spec.Hook> hooks(Map<String, Object> h, String kind) throws JrunException {
        List<Spec.Hook> out = new ArrayList<>();
        List<Object> l = optList(h, kind, "hooks." + kind);
        for (int k = 0; k < l.size(); k++) {
            String f = "hooks." + kind + "[" + k + "]";
            Map<String, Object> o = object(l.get(k), f);
            String path = optString(o, "path", f + ".path");
            if (path == null) {
                throw new JrunException(file + ": " + f + ".path: missing");
            }
            Long timeout = optLong(o, "timeout", f + ".timeout");
            if (timeout != null && timeout <= 0) {
                throw new JrunException(file + ": " + f + ".timeout: must be above 0, got " + timeout);
            }
            out.add(new Spec.Hook(path, strings(o, "args", f + ".args"), strings(o, "env", f + ".env"), timeout));
        }
        return List.copyOf(out);
    }

    private Spec.Process process(Map<String, Object> p) throws JrunException {
        Map<String, Object> u = optObject(p, "user", "process.user");
        List<Long> gids = new ArrayList<>();
        List<Object> gl = optList(u, "additionalGids", "process.user.additionalGids");
        for (int k = 0; k < gl.size(); k++) {
            gids.add(unsigned(gl.get(k), "process.user.additionalGids[" + k + "]", 0xFFFF_FFFFL));
        }
        Long uid = optUnsigned(u, "uid", "process.user.uid", 0xFFFF_FFFFL);
        Long gid = optUnsigned(u, "gid", "process.user.gid", 0xFFFF_FFFFL);
        Spec.User user = new Spec.User(uid == null ? 0 : uid, gid == null ? 0 : gid, List.copyOf(gids),
                optUnsigned(u, "umask", "process.user.umask", 0777));
        Spec.Capabilities caps = null;
        if (p.get("capabilities") != null) {
            Map<String, Object> c = optObject(p, "capabilities", "process.capabilities");
            caps = new Spec.Capabilities(strings(c, "bounding", "process.capabilities.bounding"),
                    strings(c, "effective", "process.capabilities.effective"),
                    strings(c, "inheritable", "process.capabilities.inheritable"),
                    strings(c, "permitted", "process.capabilities.permitted"),
                    strings(c, "ambient", "process.capabilities.ambient"));
        }
        List<Spec.Rlimit> rlimits = new ArrayList<>();
        List<Object> rl = optList(p, "rlimits", "process.rlimits");
        for (int k = 0; k < rl.size(); k++) {
            String f = "process.rlimits[" + k + "]";
            Map<String, Object> r = object(rl.get(k), f);
            String type = optString(r, "type", f + ".type");
            Long hard = optUnsigned(r, "hard", f + ".hard", Long.MAX_VALUE);
            Long soft = optUnsigned(r, "soft", f + ".soft", Long.MAX_VALUE);
            if (type == null || hard == null || soft == null) {
                throw new JrunException(file + ": " + f + ": type, hard and soft are required");
            }
            rlimits.add(new Spec.Rlimit(type, hard, soft));
        }
        Object oom = p.get("oomScoreAdj");
        if (oom != null && !(oom instanceof Long)) {
            throw wrong("process.oomScoreAdj", "an integer", oom);
        }
        Map<String, Object> cs = optObject(p, "consoleSize", "process.consoleSize");
        Spec.ConsoleSize size = cs.isEmpty() ? null : new Spec.ConsoleSize(
                optUnsigned(cs, "height", "process.consoleSize.height", 0xFFFF) == null ? 0
                        : optUnsigned(cs, "height", "process.consoleSize.height", 0xFFFF),
                optUnsigned(cs, "width", "process.consoleSize.width", 0xFFFF) == null ? 0
                        : optUnsigned(cs, "width", "process.consoleSize.width", 0xFFFF));
        Map<String, Object> io = optObject(p, "ioPriority", "process.ioPriority");
        Spec.IoPriority ioPriority = io.isEmpty() ? null : new Spec.IoPriority(
                optString(io, "class", "process.ioPriority.class"),
                io.get("priority") == null ? 0 : optLong(io, "priority", "process.ioPriority.priority"));
        Map<String, Object> sc = optObject(p, "scheduler", "process.scheduler");
        Spec.Scheduler scheduler = sc.isEmpty() ? null : new Spec.Scheduler(
                optString(sc, "policy", "process.scheduler.policy"), optLong(sc, "nice", "process.scheduler.nice"),
                optLong(sc, "priority", "process.scheduler.priority"), strings(sc, "flags", "process.scheduler.flags"),
                optUnsigned(sc, "runtime", "process.scheduler.runtime", Long.MAX_VALUE),
                optUnsigned(sc, "deadline", "process.scheduler.deadline", Long.MAX_VALUE),
                optUnsigned(sc, "period", "process.scheduler.period", Long.MAX_VALUE));
        Map<String, Object> af = optObject(p, "execCPUAffinity", "process.execCPUAffinity");
        Spec.CpuAffinity affinity = af.isEmpty() ? null : new Spec.CpuAffinity(
                optString(af, "initial", "process.execCPUAffinity.initial"),
                optString(af, "final", "process.execCPUAffinity.final"));
        return new Spec.Process(optBool(p, "terminal", "process.terminal"), user,
                strings(p, "args", "process.args"), strings(p, "env", "process.env"),
                optString(p, "cwd", "process.cwd"), caps, optBool(p, "noNewPrivileges", "process.noNewPrivileges"),
                List.copyOf(rlimits), (Long) oom, size, ioPriority, scheduler, affinity);
    }

    private Spec.Linux linux(Map<String, Object> l) throws JrunException {
        List<Spec.Namespace> namespaces = new ArrayList<>();
        List<Object> nl = optList(l, "namespaces", "linux.namespaces");
        for (int k = 0; k < nl.size(); k++) {
            String f = "linux.namespaces[" + k + "]";
            Map<String, Object> n = object(nl.get(k), f);
            String type = optString(n, "type", f + ".type");
            if (type == null) {
                throw new JrunException(file + ": " + f + ".type: missing");
            }
            namespaces.add(new Spec.Namespace(type, optString(n, "path", f + ".path")));
        }
        List<Spec.Device> devices = new ArrayList<>();
        List<Object> dl = optList(l, "devices", "linux.devices");
        for (int k = 0; k < dl.size(); k++) {
            String f = "linux.devices[" + k + "]";
            Map<String, Object> d = object(dl.get(k), f);
            String path = optString(d, "path", f + ".path");
            String type = optString(d, "type", f + ".type");
            if (path == null || type == null) {
                throw new JrunException(file + ": " + f + ": path and type are required");
            }
            Long major = optUnsigned(d, "major", f + ".major", 0xFFF);
            Long minor = optUnsigned(d, "minor", f + ".minor", 0xFFFFF);
            devices.add(new Spec.Device(path, type, major == null ? 0 : major, minor == null ? 0 : minor,
                    optUnsigned(d, "fileMode", f + ".fileMode", 07777), optUnsigned(d, "uid", f + ".uid", 0xFFFF_FFFFL),
                    optUnsigned(d, "gid", f + ".gid", 0xFFFF_FFFFL)));
        }
        Map<String, String> sysctl = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : optObject(l, "sysctl", "linux.sysctl").entrySet()) {
            sysctl.put(e.getKey(), string(e.getValue(), "linux.sysctl." + e.getKey()));
        }
        Map<String, Object> res = optObject(l, "resources", "linux.resources");
        return new Spec.Linux(List.copyOf(namespaces), List.copyOf(devices),
                optString(l, "rootfsPropagation", "linux.rootfsPropagation"),
                strings(l, "maskedPaths", "linux.maskedPaths"), strings(l, "readonlyPaths", "linux.readonlyPaths"),
                java.util.Collections.unmodifiableMap(sysctl), optString(l, "cgroupsPath", "linux.cgroupsPath"),
                res.isEmpty() ? Spec.Resources.NONE : resources(res, "linux.resources"),
                l.get("seccomp") == null ? null : seccomp(object(l.get("seccomp"), "linux.seccomp")),
                idMappings(l, "uidMappings"), idMappings(l, "gidMappings"), personality(l), timeOffsets(l));
    }

    private Spec.Personality personality(Map<String, Object> l) throws JrunException {
        if (l.get("personality") == null) {
            return null;
        }
        Map<String, Object> p = object(l.get("personality"), "linux.personality");
        String domain = optString(p, "domain", "linux.personality.domain");
        if (domain == null) {
            throw new JrunException(file + ": linux.personality.domain: missing");
        }
        return new Spec.Personality(domain, strings(p, "flags", "linux.personality.flags"));
    }

    private Map<String, Spec.TimeOffset> timeOffsets(Map<String, Object> l) throws JrunException {
        Map<String, Spec.TimeOffset> out = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : optObject(l, "timeOffsets", "linux.timeOffsets").entrySet()) {
            String f = "linux.timeOffsets." + e.getKey();
            Map<String, Object> o = object(e.getValue(), f);
            Long secs = optLong(o, "secs", f + ".secs");
            Long nanos = optUnsigned(o, "nanosecs", f + ".nanosecs", 0xFFFF_FFFFL);
            out.put(e.getKey(), new Spec.TimeOffset(secs == null ? 0 : secs, nanos == null ? 0 : nanos));
        }
        return java.util.Collections.unmodifiableMap(out);
    }

    private List<Spec.IdMapping> idMappings(Map<String, Object> l, String key) throws JrunException {
        return idMappings(l, key, "linux." + key);
    }

    private List<Spec.IdMapping> idMappings(Map<String, Object> l, String key, String field) throws JrunException {
        List<Spec.IdMapping> out = new ArrayList<>();
        List<Object> ml = optList(l, key, field);
        for (int k = 0; k < ml.size(); k++) {
            String f = field + "[" + k + "]";
            Map<String, Object> m = object(ml.get(k), f);
            Long c = optUnsigned(m, "containerID", f + ".containerID", 0xFFFF_FFFFL);
            Long h = optUnsigned(m, "hostID", f + ".hostID", 0xFFFF_FFFFL);
            Long n = optUnsigned(m, "size", f + ".size", 0xFFFF_FFFFL);
            if (c == null || h == null || n == null || n == 0) {
                throw new JrunException(file + ": " + f + ": containerID, hostID and a size above 0 are required");
            }
            out.add(new Spec.IdMapping(c, h, n));
        }
        return List.copyOf(out);
    }

    private Spec.Seccomp seccomp(Map<String, Object> m) throws JrunException {
        String f = "linux.seccomp";
        List<Spec.SyscallRule> rules = new ArrayList<>();
        List<Object> sl = optList(m, "syscalls", f + ".syscalls");
        for (int k = 0; k < sl.size(); k++) {
            String g = f + ".syscalls[" + k + "]";
            Map<String, Object> r = object(sl.get(k), g);
            List<Spec.ArgRule> args = new ArrayList<>();
            List<Object> al = optList(r, "args", g + ".args");
            for (int j = 0; j < al.size(); j++) {
                String h = g + ".args[" + j + "]";
                Map<String, Object> a = object(al.get(j), h);
                Long index = optUnsigned(a, "index", h + ".index", 5);
                String op = optString(a, "op", h + ".op");
                if (index == null || op == null) {
                    throw new JrunException(file + ": " + h + ": index and op are required");
                }
                args.add(new Spec.ArgRule(index, unsignedLong(a.get("value"), h + ".value"),
                        unsignedLong(a.get("valueTwo"), h + ".valueTwo"), op));
            }
            String action = optString(r, "action", g + ".action");
            if (action == null) {
                throw new JrunException(file + ": " + g + ".action: missing");
            }
            rules.add(new Spec.SyscallRule(strings(r, "names", g + ".names"), action,
                    optLong(r, "errnoRet", g + ".errnoRet"), List.copyOf(args)));
        }
        String def = optString(m, "defaultAction", f + ".defaultAction");
        if (def == null) {
            throw new JrunException(file + ": " + f + ".defaultAction: missing");
        }
        return new Spec.Seccomp(def, optLong(m, "defaultErrnoRet", f + ".defaultErrnoRet"),
                strings(m, "architectures", f + ".architectures"), strings(m, "flags", f + ".flags"),
                optString(m, "listenerPath", f + ".listenerPath"),
                optString(m, "listenerMetadata", f + ".listenerMetadata"), List.copyOf(rules));
    }

    /** A u64 as JSON has it: a long, or (past Long.MAX_VALUE) a double; absent is 0. */
    private long unsignedLong(Object v, String field) throws JrunException {
        if (v == null) {
            return 0;
        }
        if (v instanceof Long n) {
            return n;
        }
        if (v instanceof java.math.BigInteger b && b.signum() >= 0 && b.bitLength() <= 64) {
            return b.longValue(); // the same 64 bits
        }
        throw wrong(field, "an integer from 0 to 2^64-1", v);
    }

    /** {@code linux.resources}, also the body of {@code jrun update --resources}. */
    public static Spec.Resources parseResources(String text, String file) throws JrunException {
        SpecReader r = new SpecReader(file);
        return r.resources(r.object(tree(text, file), "the top level"), "resources");
    }

    private Long optLong(Map<String, Object> m, String key, String field) throws JrunException {
        Object v = m.get(key);
        if (v != null && !(v instanceof Long)) {
            throw wrong(field, "an integer", v);
        }
        return (Long) v;
    }

    private Spec.Resources resources(Map<String, Object> r, String f) throws JrunException {
        Map<String, Object> mem = optObject(r, "memory", f + ".memory");
        Spec.Memory memory = mem.isEmpty() ? null : new Spec.Memory(optLong(mem, "limit", f + ".memory.limit"),
                optLong(mem, "reservation", f + ".memory.reservation"), optLong(mem, "swap", f + ".memory.swap"),
                optLong(mem, "swappiness", f + ".memory.swappiness"),
                mem.get("disableOOMKiller") == null ? null : optBool(mem, "disableOOMKiller", f + ".memory.disableOOMKiller"));
        Map<String, Object> c = optObject(r, "cpu", f + ".cpu");
        Spec.Cpu cpu = c.isEmpty() ? null : new Spec.Cpu(optLong(c, "shares", f + ".cpu.shares"),
                optLong(c, "quota", f + ".cpu.quota"), optLong(c, "period", f + ".cpu.period"),
                optLong(c, "burst", f + ".cpu.burst"), optLong(c, "realtimeRuntime", f + ".cpu.realtimeRuntime"),
                optLong(c, "realtimePeriod", f + ".cpu.realtimePeriod"), optString(c, "cpus", f + ".cpu.cpus"),
                optString(c, "mems", f + ".cpu.mems"));
        Map<String, Object> p = optObject(r, "pids", f + ".pids");
        Map<String, Object> b = optObject(r, "blockIO", f + ".blockIO");
        Spec.BlockIo bio = b.isEmpty() ? null : new Spec.BlockIo(optLong(b, "weight", f + ".blockIO.weight"),
                deviceValues(b, "weightDevice", "weight", f + ".blockIO.weightDevice"),
                deviceValues(b, "throttleReadBpsDevice", "rate", f + ".blockIO.throttleReadBpsDevice"),
                deviceValues(b, "throttleWriteBpsDevice", "rate", f + ".blockIO.throttleWriteBpsDevice"),
                deviceValues(b, "throttleReadIOPSDevice", "rate", f + ".blockIO.throttleReadIOPSDevice"),
                deviceValues(b, "throttleWriteIOPSDevice", "rate", f + ".blockIO.throttleWriteIOPSDevice"));
        List<Spec.HugepageLimit> huge = new ArrayList<>();
        List<Object> hl = optList(r, "hugepageLimits", f + ".hugepageLimits");
        for (int k = 0; k < hl.size(); k++) {
            Map<String, Object> h = object(hl.get(k), f + ".hugepageLimits[" + k + "]");
            Long limit = optLong(h, "limit", f + ".hugepageLimits[" + k + "].limit");
            huge.add(new Spec.HugepageLimit(optString(h, "pageSize", f + ".hugepageLimits[" + k + "].pageSize"),
                    limit == null ? 0 : limit));
        }
        List<Spec.DeviceRule> rules = new ArrayList<>();
        List<Object> dl = optList(r, "devices", f + ".devices");
        for (int k = 0; k < dl.size(); k++) {
            String g = f + ".devices[" + k + "]";
            Map<String, Object> d = object(dl.get(k), g);
            rules.add(new Spec.DeviceRule(optBool(d, "allow", g + ".allow"), optString(d, "type", g + ".type"),
                    optLong(d, "major", g + ".major"), optLong(d, "minor", g + ".minor"),
                    optString(d, "access", g + ".access")));
        }
        Map<String, String> unified = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : optObject(r, "unified", f + ".unified").entrySet()) {
            unified.put(e.getKey(), string(e.getValue(), f + ".unified." + e.getKey()));
        }
        Map<String, Object> n = optObject(r, "network", f + ".network");
        Spec.Network network = null;
        if (!n.isEmpty()) {
            List<Spec.NetPriority> prios = new ArrayList<>();
            List<Object> pl = optList(n, "priorities", f + ".network.priorities");
            for (int k = 0; k < pl.size(); k++) {
                String g = f + ".network.priorities[" + k + "]";
                Map<String, Object> e = object(pl.get(k), g);
                Long prio = optLong(e, "priority", g + ".priority");
                prios.add(new Spec.NetPriority(optString(e, "name", g + ".name"), prio == null ? 0 : prio));
            }
            network = new Spec.Network(optLong(n, "classID", f + ".network.classID"), List.copyOf(prios));
        }
        return new Spec.Resources(memory, cpu, optLong(p, "limit", f + ".pids.limit"), bio, List.copyOf(huge),
                List.copyOf(rules), java.util.Collections.unmodifiableMap(unified), network);
    }

    private List<Spec.DeviceValue> deviceValues(Map<String, Object> m, String key, String valueKey, String f)
            throws JrunException {
        List<Spec.DeviceValue> out = new ArrayList<>();
        List<Object> l = optList(m, key, f);
        for (int k = 0; k < l.size(); k++) {
            Map<String, Object> d = object(l.get(k), f + "[" + k + "]");
            Long major = optLong(d, "major", f + "[" + k + "].major");
            Long minor = optLong(d, "minor", f + "[" + k + "].minor");
            Long v = optLong(d, valueKey, f + "[" + k + "]." + valueKey);
            if (major == null || minor == null || v == null) {
                throw new JrunException(file + ": " + f + "[" + k + "]: major, minor and " + valueKey + " are required");
            }
            out.add(new Spec.DeviceValue(major, minor, v));
        }
        return List.copyOf(out);
    }
}
