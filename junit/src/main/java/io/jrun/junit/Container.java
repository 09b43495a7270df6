package io.jrun.junit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a field of type {@link io.jrun.testing.Container} (made with
 * {@code ContainerSpec...container()}) for {@link JrunContainers}: a static field is started
 * before the class's first test and closed after its last, an instance field around each test
 * (or, with {@code @TestInstance(PER_CLASS)}, like a static one: the instance lives as long).
 */
@Target(ElementType.FIELD)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface Container {}
