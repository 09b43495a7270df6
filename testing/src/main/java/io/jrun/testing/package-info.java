/**
 * Containers for tests, from a JVM, without a daemon: {@link io.jrun.testing.ContainerSpec} says
 * what to run (an image, a rootfs directory or a bundle, and what to change of it),
 * {@link io.jrun.testing.Container} runs it on its own copy-on-write layer (streams, exec, copies,
 * {@code connect} inside its network namespace, {@code hostPort}), {@link io.jrun.testing.Wait}
 * waits for it, and {@link io.jrun.testing.Engine} holds the images, the containers of this JVM
 * and what crashed JVMs left.  No JUnit here: the extension is the {@code jrun-junit} module.
 */
package io.jrun.testing;
