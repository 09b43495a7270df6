package io.jrun.runtime.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jrun.runtime.JrunException;
import io.jrun.runtime.proc.Signals;
import io.jrun.runtime.security.Capabilities;
import org.junit.jupiter.api.Test;

/** The constants generated from the kernel's headers at build time (generate-kernel-constants.sh): known values. */
class KernelConstantsTest {
    @Test
    void mountCloneAndFileTypeFlags() {
        assertEquals(1, LinuxConstants.MS_RDONLY);
        assertEquals(4096, LinuxConstants.MS_BIND);
        assertEquals(16384, LinuxConstants.MS_REC);
        assertEquals(1L << 17, LinuxConstants.MS_UNBINDABLE);
        assertEquals(1L << 20, LinuxConstants.MS_SHARED);
        assertEquals(1L << 24, LinuxConstants.MS_STRICTATIME);
        assertEquals(0x80, LinuxConstants.CLONE_NEWTIME);
        assertEquals(0x20000, LinuxConstants.CLONE_NEWNS);
        assertEquals(0x10000000, LinuxConstants.CLONE_NEWUSER);
        assertEquals(0x40000000, LinuxConstants.CLONE_NEWNET);
        assertEquals(8192, LinuxConstants.S_IFCHR);
        assertEquals(24576, LinuxConstants.S_IFBLK);
        assertEquals(4096, LinuxConstants.S_IFIFO);
    }

    @Test
    void errnoNamesNumbersAndMessages() {
        assertEquals("Operation not permitted (EPERM)", Errno.describe(1));
        assertEquals("No such file or directory (ENOENT)", Errno.describe(2));
        assertEquals("Resource temporarily unavailable (EAGAIN)", Errno.describe(11));
        assertEquals("Cannot allocate memory (ENOMEM)", Errno.describe(12));
        assertEquals("Bad message (EBADMSG)", Errno.describe(74));
        assertEquals("Operation not supported (EOPNOTSUPP)", Errno.describe(95));
        assertEquals("Cannot assign requested address (EADDRNOTAVAIL)", Errno.describe(99));
        assertEquals("Invalid argument (EINVAL)", Errno.describe("Invalid argument"));
        assertEquals("errno 4095", Errno.describe(4095));
        assertEquals(133, ErrnoData.MAX);
    }

    @Test
    void capabilityBits() {
        assertEquals(0, Capabilities.bit("CAP_CHOWN"));
        assertEquals(21, Capabilities.bit("CAP_SYS_ADMIN"));
        assertEquals(40, Capabilities.bit("CAP_CHECKPOINT_RESTORE"));
        assertEquals(-1, Capabilities.bit("CAP_LAST_CAP"));
        assertTrue(Capabilities.names().size() >= 41);
    }

    @Test
    void signalNumbers() throws JrunException {
        assertEquals(1, Signals.parse("HUP"));
        assertEquals(6, Signals.parse("IOT"));
        assertEquals(9, Signals.parse("SIGKILL"));
        assertEquals(16, Signals.parse("STKFLT"));
        assertEquals(29, Signals.parse("POLL"));
        assertEquals(31, Signals.parse("SYS"));
        assertEquals(34, Signals.parse("RTMIN"));
    }
}
