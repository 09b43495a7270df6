package io.jrun.nativebind;

/**
 * The steps the C stage knows, with the numbers of {@code src/main/c/plan.h}.
 * A unit test reads the header and fails when the two sides disagree.
 */
public enum StageOp {
    SETNS(1),
    CLONE(2),
    MKFIFO(3),
    CGROUP_ENTER(4),
    ID_MAP(5),
    UNSHARE(9),
    LOOPBACK_UP(10),
    HOSTNAME(11),
    DOMAINNAME(12),
    ROOT_PROPAGATION(13),
    ROOTFS(14),
    MOUNT(15),
    MKNOD(16),
    SYMLINK(17),
    PIVOT_ROOT(18),
    MOVE_ROOT(19),
    REMOUNT(20),
    SETGROUPS(21),
    SETGID(22),
    SETUID(23),
    CHDIR(24),
    ARG(25),
    ENV(26),
    LOOKUP(27),
    WAIT_START(28),
    EXEC(29),
    MASK_PATH(30),
    READONLY_PATH(31),
    EXEC_FIFO(32),
    WAIT_FIFO(33),
    SYSCTL(34),
    OOM_SCORE_ADJ(35),
    RLIMIT(36),
    UMASK(37),
    CAPS_BOUNDING(38),
    CAPS(39),
    NO_NEW_PRIVS(40),
    CONSOLE_SOCKET(41),
    CONSOLE(42),
    HOOK_PAUSE(43),
    SET_PROPAGATION(44),
    SECCOMP(45),
    CGROUP_INTO(46),
    CGROUP_DEVICES(47),
    PERSONALITY(50),
    TIME_OFFSETS(51),
    SECCOMP_LISTENER(52),
    IDMAP_ROOTFS(60),
    ROOTFS_IDMAPPED(61),
    STDIO_OWNER(62),
    BIND_TREE(63),
    IOPRIO(64),
    SCHED(65),
    CPU_AFFINITY(66),
    CPU_AFFINITY_INITIAL(67),
    /* natives: the records of native.rec (plan.h) */
    REC_VERSION(200),
    REC_CONTAINER(201),
    REC_STATE_TEXT(202),
    REC_CGROUP_TEXT(203),
    REC_OCI(204),
    REC_LIST_ROW(205),
    REC_CGROUP(206),
    REC_CGROUP_DIR(207),
    REC_CGROUP_MADE(208),
    REC_CONFIG(209),
    REC_HOOKS(210),
    REC_HOOK(211),
    REC_TERMINAL(212);

    private final int code;

    StageOp(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }
}
