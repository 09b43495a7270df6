/**
 * The JUnit 5 extension of {@code jrun-testing}: {@link io.jrun.junit.JrunContainers} on a test
 * class starts its {@link io.jrun.junit.Container}-annotated fields (static: per class; instance:
 * per test) and adds their last output to a failed test.
 */
package io.jrun.junit;
