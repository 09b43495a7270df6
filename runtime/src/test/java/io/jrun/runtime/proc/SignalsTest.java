package io.jrun.runtime.proc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.jrun.runtime.JrunException;
import org.junit.jupiter.api.Test;

class SignalsTest {
    @Test
    void numbersAndNamesAsRuncTakesThem() throws JrunException {
        assertEquals(9, Signals.parse("9"));
        assertEquals(9, Signals.parse("KILL"));
        assertEquals(9, Signals.parse("SIGKILL"));
        assertEquals(15, Signals.parse("sigterm"));
        assertEquals(10, Signals.parse("USR1"));
        assertEquals(34, Signals.parse("RTMIN"));
        assertEquals(36, Signals.parse("SIGRTMIN+2"));
        assertEquals(63, Signals.parse("RTMAX-1"));
        assertThrows(JrunException.class, () -> Signals.parse("0"));
        assertThrows(JrunException.class, () -> Signals.parse("65"));
        assertThrows(JrunException.class, () -> Signals.parse("BOGUS"));
    }

    @Test
    void startTimeTellsALiveProcessFromAReusedPid() {
        long me = ProcessHandle.current().pid();
        long start = ProcFs.startTime(me);
        assertEquals(true, start > 0);
        assertEquals(true, ProcFs.alive(me, start));
        assertEquals(false, ProcFs.alive(me, start + 1));
        assertEquals(-1, ProcFs.startTime(Integer.MAX_VALUE));
    }
}
