package io.jrun.image.unpack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jrun.image.TestImage;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The diff ID's hashing beside the unpack: right, and never a hang when the hashing process stalls. */
class Sha256PipeTest {
    static final byte[] DATA = new byte[3 << 20];

    static {
        for (int i = 0; i < DATA.length; i++) {
            DATA[i] = (byte) (i * 31);
        }
    }

    @Test
    void theDigestOfEverythingGiven() throws Exception {
        try (Sha256Pipe p = new Sha256Pipe()) {
            p.update(DATA, 0, DATA.length);
            assertEquals(TestImage.digest(DATA), p.finish());
        }
    }

    @Test
    void aHashingProcessThatTakesNoInputIsKilled() {
        try (Sha256Pipe p = new Sha256Pipe(List.of("/bin/sleep", "600"), 500)) {
            IOException e = assertThrows(IOException.class, () -> {
                for (int i = 0; i < 3; i++) { // more than the queue and the pipe hold
                    p.update(DATA, 0, DATA.length);
                }
                p.finish();
            });
            assertEquals("hash the layer: /bin/sleep 600 took no input for 500 ms: killed (Connection timed out, ETIMEDOUT)",
                    e.getMessage());
        }
    }

    @Test
    void aHashingProcessThatGivesNoResultIsKilled() {
        try (Sha256Pipe p = new Sha256Pipe(List.of("/bin/sh", "-c", "cat >/dev/null; exec sleep 600"), 500)) {
            IOException e = assertThrows(IOException.class, () -> {
                p.update(DATA, 0, 1000);
                p.finish();
            });
            assertTrue(e.getMessage().endsWith(" gave no result for 500 ms: killed (Connection timed out, ETIMEDOUT)"),
                    e.getMessage());
        }
    }
}
