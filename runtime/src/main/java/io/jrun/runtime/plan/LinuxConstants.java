package io.jrun.runtime.plan;

/** Flag values of the Linux UAPI that the plan carries to the stage (x86_64 and arm64 share them). */
final class LinuxConstants {
    static final long MS_RDONLY = 1;
    static final long MS_NOSUID = 2;
    static final long MS_NODEV = 4;
    static final long MS_NOEXEC = 8;
    static final long MS_SYNCHRONOUS = 16;
    static final long MS_REMOUNT = 32;
    static final long MS_MANDLOCK = 64;
    static final long MS_DIRSYNC = 128;
    static final long MS_NOSYMFOLLOW = 256;
    static final long MS_NOATIME = 1024;
    static final long MS_NODIRATIME = 2048;
    static final long MS_BIND = 4096;
    static final long MS_REC = 16384;
    static final long MS_SILENT = 32768;
    static final long MS_UNBINDABLE = 1 << 17;
    static final long MS_PRIVATE = 1 << 18;
    static final long MS_SLAVE = 1 << 19;
    static final long MS_SHARED = 1 << 20;
    static final long MS_RELATIME = 1 << 21;
    static final long MS_STRICTATIME = 1 << 24;

    static final long CLONE_NEWTIME = 0x80;
    static final long CLONE_NEWNS = 0x20000;
    static final long CLONE_NEWCGROUP = 0x02000000;
    static final long CLONE_NEWUTS = 0x04000000;
    static final long CLONE_NEWIPC = 0x08000000;
    static final long CLONE_NEWUSER = 0x10000000;
    static final long CLONE_NEWPID = 0x20000000;
    static final long CLONE_NEWNET = 0x40000000;

    static final long S_IFCHR = 0020000;
    static final long S_IFBLK = 0060000;
    static final long S_IFIFO = 0010000;

    private LinuxConstants() {}
}
