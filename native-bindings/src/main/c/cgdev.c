/*
 * Device rules on cgroup v2: an eBPF BPF_PROG_TYPE_CGROUP_DEVICE program that Java compiled
 * (io.jrun.runtime.cgroups.v2.DeviceProgram), loaded and attached to a cgroup directory here.
 *
 * Instructions arrive as u64 words: code | dst << 8 | src << 12 | off << 16 | imm << 32
 * (struct bpf_insn read as a little-endian u64), decoded field by field.
 */
#define _GNU_SOURCE
#include "stage.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_bpf
#define SYS_bpf 321
#endif

/* The parts of linux/bpf.h used here (musl ships no kernel headers); each command gets its own
   prefix of union bpf_attr, passed with its own size (the kernel zero-fills the rest). */
#define BPF_PROG_LOAD 5
#define BPF_PROG_ATTACH 8
#define BPF_PROG_DETACH 9
#define BPF_PROG_GET_FD_BY_ID 13
#define BPF_OBJ_GET_INFO_BY_FD 15
#define BPF_PROG_QUERY 16
#define BPF_PROG_TYPE_CGROUP_DEVICE 15
#define BPF_CGROUP_DEVICE 6
#define BPF_F_ALLOW_MULTI 2

struct bpf_insn {
    uint8_t code;
    uint8_t dst_reg : 4;
    uint8_t src_reg : 4;
    int16_t off;
    int32_t imm;
};

struct attr_load {
    uint32_t prog_type, insn_cnt;
    uint64_t insns, license;
    uint32_t log_level, log_size;
    uint64_t log_buf;
    uint32_t kern_version, prog_flags;
    char prog_name[16];
    uint32_t prog_ifindex, expected_attach_type;
};

struct attr_attach {
    uint32_t target_fd, attach_bpf_fd, attach_type, attach_flags;
};

struct attr_query {
    uint32_t target_fd, attach_type, query_flags, attach_flags;
    uint64_t prog_ids;
    uint32_t prog_cnt, pad;
};

struct attr_get_fd {
    uint32_t prog_id, next_id, open_flags;
};

struct attr_info {
    uint32_t bpf_fd, info_len;
    uint64_t info;
};

struct bpf_prog_info {
    uint32_t type, id;
    uint8_t tag[8];
    uint32_t jited_prog_len, xlated_prog_len;
    uint64_t jited_prog_insns, xlated_prog_insns, load_time;
    uint32_t created_by_uid, nr_map_ids;
    uint64_t map_ids;
    char name[16];
};

#define CGDEV_MAX_INSNS 65536u
#define CGDEV_PROG_NAME "jrun_devices" /* how `jrun update` tells its own programs from others' */

static long sys_bpf(int cmd, void *attr, size_t size)
{
    return syscall(SYS_bpf, cmd, attr, size);
}

/* The verifier's reason: the last line of its log before its statistics ("processed N insns"). */
static void verifier_reason(const char *log, char *detail, size_t len)
{
    const char *best = NULL, *p = log;
    while (*p) {
        const char *end = strchrnul(p, '\n');
        if (end > p && strncmp(p, "processed ", 10) && strncmp(p, "verification time", 17))
            best = p;
        p = *end ? end + 1 : end;
    }
    size_t i = 0;
    while (best && best[i] && best[i] != '\n' && i + 1 < len) {
        detail[i] = best[i];
        i++;
    }
    detail[i] = '\0';
}

int cgdev_load(const uint64_t *words, size_t n, char *detail, size_t detail_len)
{
    static struct bpf_insn insns[CGDEV_MAX_INSNS];
    static char log[65536];
    struct attr_load attr;
    int fd;

    detail[0] = '\0';
    if (n == 0 || n > CGDEV_MAX_INSNS)
        return -EINVAL;
    for (size_t i = 0; i < n; i++) {
        uint64_t v = words[i];
        memset(&insns[i], 0, sizeof(insns[i]));
        insns[i].code = (uint8_t)v;
        insns[i].dst_reg = (uint8_t)((v >> 8) & 0xf);
        insns[i].src_reg = (uint8_t)((v >> 12) & 0xf);
        insns[i].off = (int16_t)(uint16_t)(v >> 16);
        insns[i].imm = (int32_t)(uint32_t)(v >> 32);
    }
    memset(&attr, 0, sizeof(attr));
    attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    attr.insns = (uint64_t)(uintptr_t)insns;
    attr.insn_cnt = (uint32_t)n;
    attr.license = (uint64_t)(uintptr_t)"GPL";
    memcpy(attr.prog_name, CGDEV_PROG_NAME, sizeof(CGDEV_PROG_NAME));
    fd = (int)sys_bpf(BPF_PROG_LOAD, &attr, sizeof(attr));
    if (fd >= 0)
        return fd;
    /* again with the verifier's log (with a log, a program whose log overflows fails: hence not at first) */
    int err = errno;
    if (err == EPERM || err == ENOSYS)
        return -err;
    log[0] = '\0';
    attr.log_level = 1;
    attr.log_buf = (uint64_t)(uintptr_t)log;
    attr.log_size = sizeof(log);
    fd = (int)sys_bpf(BPF_PROG_LOAD, &attr, sizeof(attr));
    if (fd >= 0)
        return fd;
    if (errno != ENOSPC)
        err = errno;
    if (log[0])
        verifier_reason(log, detail, detail_len);
    return -err;
}

static int cgdev_attach(int cgroup_fd, int prog_fd)
{
    struct attr_attach attr = { (uint32_t)cgroup_fd, (uint32_t)prog_fd, BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI };
    return sys_bpf(BPF_PROG_ATTACH, &attr, sizeof(attr)) < 0 ? -errno : 0;
}

static int prog_info(int prog_fd, struct bpf_prog_info *info)
{
    struct attr_info attr = { (uint32_t)prog_fd, sizeof(*info), (uint64_t)(uintptr_t)info };
    memset(info, 0, sizeof(*info));
    return sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &attr, sizeof(attr)) < 0 ? -errno : 0;
}

/* Detaches the programs named CGDEV_PROG_NAME other than the one whose id is keep. */
static int detach_others(int cgroup_fd, uint32_t keep, const char **op)
{
    uint32_t ids[64];
    struct bpf_prog_info info;
    struct attr_query attr;
    int r;

    memset(&attr, 0, sizeof(attr));
    attr.target_fd = (uint32_t)cgroup_fd;
    attr.attach_type = BPF_CGROUP_DEVICE;
    attr.prog_ids = (uint64_t)(uintptr_t)ids;
    attr.prog_cnt = sizeof(ids) / sizeof(ids[0]);
    *op = "bpf(BPF_PROG_QUERY)";
    if (sys_bpf(BPF_PROG_QUERY, &attr, sizeof(attr)) < 0)
        return -errno;
    for (uint32_t i = 0; i < attr.prog_cnt && i < sizeof(ids) / sizeof(ids[0]); i++) {
        struct attr_get_fd get = { ids[i], 0, 0 };
        if (ids[i] == keep)
            continue;
        int fd = (int)sys_bpf(BPF_PROG_GET_FD_BY_ID, &get, sizeof(get));
        if (fd < 0) {
            if (errno == ENOENT)
                continue; /* detached meanwhile */
            *op = "bpf(BPF_PROG_GET_FD_BY_ID)";
            return -errno;
        }
        if (prog_info(fd, &info) == 0 && !strncmp(info.name, CGDEV_PROG_NAME, sizeof(info.name))) {
            struct attr_attach det = { (uint32_t)cgroup_fd, (uint32_t)fd, BPF_CGROUP_DEVICE, 0 };
            if (sys_bpf(BPF_PROG_DETACH, &det, sizeof(det)) < 0 && errno != ENOENT) {
                r = -errno;
                close(fd);
                *op = "bpf(BPF_PROG_DETACH)";
                return r;
            }
        }
        close(fd);
    }
    return 0;
}

/*
 * Attaches the new program, then detaches the device programs jrun attached there before
 * (by name: another's program on the same cgroup stays). Returns 0 or -errno; *op names
 * the bpf() command that failed.
 */
int cgdev_replace(int cgroup_fd, int prog_fd, const char **op)
{
    uint32_t keep;
    struct bpf_prog_info info;
    int r;

    *op = "bpf(BPF_OBJ_GET_INFO_BY_FD)";
    if ((r = prog_info(prog_fd, &info)) < 0)
        return r;
    keep = info.id;
    *op = "bpf(BPF_PROG_ATTACH)";
    if ((r = cgdev_attach(cgroup_fd, prog_fd)) < 0)
        return r;
    if ((r = detach_others(cgroup_fd, keep, op)) < 0) {
        /* the new program does not stay attached when the replacement failed */
        struct attr_attach det = { (uint32_t)cgroup_fd, (uint32_t)prog_fd, BPF_CGROUP_DEVICE, 0 };
        sys_bpf(BPF_PROG_DETACH, &det, sizeof(det));
    }
    return r;
}

