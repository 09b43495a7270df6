package io.jrun.testing;

import java.time.Duration;

/** A condition a started container must meet before it is used; see {@link Wait} for the usual ones. */
public interface WaitStrategy {
    /**
     * Returns once {@code container} is ready; throws a {@link ContainerException} that names the
     * wait and shows the container's last output lines when {@code timeout} passes first or the
     * container ends.
     */
    void waitUntilReady(Container container, Duration timeout);
}
