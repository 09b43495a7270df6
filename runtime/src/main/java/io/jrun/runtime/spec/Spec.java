package io.jrun.runtime.spec;

import java.util.List;
import java.util.Map;

/**
 * The parts of an OCI runtime-spec config.json that jrun applies, as immutable
 * values.  Only {@link SpecReader} builds them from JSON.
 */
public record Spec(
        String ociVersion,
        Process process,
        Root root,
        String hostname,
        String domainname,
        List<Mount> mounts,
        Linux linux,
        Map<String, String> annotations,
        Hooks hooks) {

    /** The OCI hooks, each list possibly empty. */
    public record Hooks(List<Hook> prestart, List<Hook> createRuntime, List<Hook> createContainer,
            List<Hook> startContainer, List<Hook> poststart, List<Hook> poststop) {
        public static final Hooks NONE = new Hooks(List.of(), List.of(), List.of(), List.of(), List.of(), List.of());
    }

    /** {@code timeout} in seconds, null when absent. */
    public record Hook(String path, List<String> args, List<String> env, Long timeout) {}

    /** The runtime-spec version jrun implements: {@code jrun --version}, {@code features}, the state's ociVersion. */
    public static final String RUNTIME_SPEC_VERSION = "1.2.0";

    /**
     * {@code capabilities} is null when absent (then jrun keeps its defaults), as are {@code oomScoreAdj}
     * and the runtime-spec 1.2 {@code ioPriority}, {@code scheduler} and {@code execCPUAffinity}.
     */
    public record Process(boolean terminal, User user, List<String> args, List<String> env, String cwd,
            Capabilities capabilities, boolean noNewPrivileges, List<Rlimit> rlimits, Long oomScoreAdj,
            ConsoleSize consoleSize, IoPriority ioPriority, Scheduler scheduler, CpuAffinity execCPUAffinity) {
        public Process(boolean terminal, User user, List<String> args, List<String> env, String cwd,
                Capabilities capabilities, boolean noNewPrivileges, List<Rlimit> rlimits, Long oomScoreAdj,
                ConsoleSize consoleSize) {
            this(terminal, user, args, env, cwd, capabilities, noNewPrivileges, rlimits, oomScoreAdj, consoleSize,
                    null, null, null);
        }
    }

    /** {@code process.ioPriority}: IOPRIO_CLASS_RT, _BE or _IDLE and a priority from 0 to 7. */
    public record IoPriority(String ioClass, long priority) {}

    /** {@code process.scheduler} (sched_setattr(2)); absent numbers are null, absent flags an empty list. */
    public record Scheduler(String policy, Long nice, Long priority, List<String> flags, Long runtime, Long deadline,
            Long period) {}

    /** {@code process.execCPUAffinity}: CPU lists ("0-3,7") before and after the cgroup; each may be null. */
    public record CpuAffinity(String initial, String finalList) {}

    /** {@code process.consoleSize}; null when absent. */
    public record ConsoleSize(long height, long width) {}

    /** {@code umask} is null when absent. */
    public record User(long uid, long gid, List<Long> additionalGids, Long umask) {}

    /** The five sets, each a list of CAP_* names (empty when absent). */
    public record Capabilities(List<String> bounding, List<String> effective, List<String> inheritable,
            List<String> permitted, List<String> ambient) {}

    public record Rlimit(String type, long hard, long soft) {}

    public record Root(String path, boolean readonly) {}

    /** {@code uidMappings}/{@code gidMappings} (runtime-spec 1.2: an idmapped mount) are empty when absent. */
    public record Mount(String destination, String type, String source, List<String> options,
            List<IdMapping> uidMappings, List<IdMapping> gidMappings) {
        public Mount(String destination, String type, String source, List<String> options) {
            this(destination, type, source, options, List.of(), List.of());
        }
    }

    public record Linux(
            List<Namespace> namespaces,
            List<Device> devices,
            String rootfsPropagation,
            List<String> maskedPaths,
            List<String> readonlyPaths,
            Map<String, String> sysctl,
            String cgroupsPath,
            Resources resources,
            Seccomp seccomp,
            List<IdMapping> uidMappings,
            List<IdMapping> gidMappings,
            Personality personality,
            Map<String, TimeOffset> timeOffsets) {}

    /** {@code linux.personality}: an execution domain (LINUX, LINUX32) and flags; null when absent. */
    public record Personality(String domain, List<String> flags) {}

    /** One clock's entry of {@code linux.timeOffsets} (keyed by clock name): seconds and nanoseconds. */
    public record TimeOffset(long secs, long nanosecs) {}

    public record IdMapping(long containerId, long hostId, long size) {}

    /** {@code linux.seccomp}; null when absent. */
    public record Seccomp(String defaultAction, Long defaultErrnoRet, List<String> architectures,
            List<String> flags, String listenerPath, String listenerMetadata, List<SyscallRule> syscalls) {}

    public record SyscallRule(List<String> names, String action, Long errnoRet, List<ArgRule> args) {}

    /** {@code valueTwo} is the value compared after masking with {@code value} for SCMP_CMP_MASKED_EQ. */
    public record ArgRule(long index, long value, long valueTwo, String op) {}

    /**
     * {@code linux.resources}; every number is null when absent. Device rules are the OCI
     * {@code devices} list (allow, type a/c/b, major, minor, access rwm).
     */
    public record Resources(Memory memory, Cpu cpu, Long pidsLimit, BlockIo blockIo,
            List<HugepageLimit> hugepageLimits, List<DeviceRule> devices, Map<String, String> unified) {
        public static final Resources NONE = new Resources(null, null, null, null, List.of(), List.of(), Map.of());
    }

    public record Memory(Long limit, Long reservation, Long swap, Long swappiness, Boolean disableOOMKiller) {}

    public record Cpu(Long shares, Long quota, Long period, Long burst, Long realtimeRuntime, Long realtimePeriod,
            String cpus, String mems) {}

    public record BlockIo(Long weight, List<DeviceValue> weightDevice, List<DeviceValue> throttleReadBpsDevice,
            List<DeviceValue> throttleWriteBpsDevice, List<DeviceValue> throttleReadIOPSDevice,
            List<DeviceValue> throttleWriteIOPSDevice) {}

    /** A block device (major:minor) and a value: a weight or a rate. */
    public record DeviceValue(long major, long minor, long value) {}

    public record HugepageLimit(String pageSize, long limit) {}

    /** major/minor null: any. */
    public record DeviceRule(boolean allow, String type, Long major, Long minor, String access) {}

    public record Namespace(String type, String path) {}

    /** A device node; {@code fileMode}, {@code uid} and {@code gid} are null when absent. */
    public record Device(String path, String type, long major, long minor, Long fileMode, Long uid, Long gid) {}
}
