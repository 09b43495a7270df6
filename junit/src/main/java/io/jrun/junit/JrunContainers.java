package io.jrun.junit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Starts the test class's {@link Container @Container} fields: static ones once for the class,
 * instance ones for each test; closes them after; on a failed test, adds their last output to
 * the failure.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(JrunExtension.class)
public @interface JrunContainers {
    /** How many of the last output lines of each container a failure report shows. */
    int reportLines() default 50;

    /**
     * How many containers of each per-test (instance) field's spec are created ahead ({@link
     * io.jrun.testing.Engine#prepare}), so the next test's container is made while a test runs
     * and its start only starts it; 0: none.  Those left are discarded after the class.
     */
    int prepared() default 1;
}
