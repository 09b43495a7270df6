package io.jrun.junit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jrun.runtime.testing.RootTests;
import io.jrun.testing.BusyboxImage;
import io.jrun.testing.ContainerSpec;
import io.jrun.testing.Wait;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The README's example: a busybox httpd microcontainer from an image archive (a docker-archive
 * the test makes of the busybox fixture), one for the class, fetched through {@code connect(80)}:
 * a socket opened inside the container's own network namespace, no port published on the host.
 */
@ExtendWith(RootTests.class)
@JrunContainers
class HttpdExampleIT {
    @Container
    static final io.jrun.testing.Container web = ContainerSpec.fromImage(BusyboxImageRef.get())
            .withCommand("sh", "-c", "mkdir -p /www && echo 'hello from jrun' > /www/index.html"
                    + " && exec httpd -f -v -p 80 -h /www")
            .waitingFor(Wait.forHttp(80, "/", 200))
            .container();

    @Test
    void servesItsPageThroughASocketInsideTheContainer() throws Exception {
        try (Socket s = web.connect(80)) {
            OutputStream out = s.getOutputStream();
            out.write("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            String response = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(response.startsWith("HTTP/1.") && response.contains(" 200 "), response);
            assertTrue(response.endsWith("\r\n\r\nhello from jrun\n"), response);
        }
    }

    @Test
    void hostPortForwardsFromTheHostsLoopbackAndExecSeesTheFiles() throws Exception {
        java.net.HttpURLConnection h = (java.net.HttpURLConnection) new java.net.URL("http://127.0.0.1:"
                + web.hostPort(80) + "/").openConnection();
        assertEquals(200, h.getResponseCode());
        try (java.io.InputStream in = h.getInputStream()) {
            assertEquals("hello from jrun\n", new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
        assertEquals(new io.jrun.testing.ExecResult(0, "hello from jrun\n", ""), web.exec("cat", "/www/index.html"));
    }

    @Test
    void logsItsRequests() throws Exception {
        try (Socket s = web.connect(80)) {
            s.getOutputStream().write("GET /missing HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            assertTrue(new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8).contains(" 404 "));
        }
        Wait.forLogLine("response:404").waitUntilReady(web, java.time.Duration.ofSeconds(10));
        assertEquals(0, web.exec("test", "-f", "/www/index.html").exitCode());
    }

    /** The image archive, made once per JVM (a static initializer cannot throw checked exceptions). */
    static final class BusyboxImageRef {
        static String get() {
            try {
                return BusyboxImage.reference();
            } catch (Exception e) {
                throw new IllegalStateException("make the busybox image: " + e.getMessage(), e);
            }
        }
    }
}
