package io.jrun.junit;

/**
 * Added to a failed test's exception (as a suppressed one): the last output of each of its
 * containers, so the failure shows what the containers said.  It has no stack trace of its own.
 */
public final class ContainerReport extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ContainerReport(String report) {
        super(report, null, false, false);
    }
}
