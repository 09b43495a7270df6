package io.jrun.runtime.plan;

import io.jrun.nativebind.PlanEncoder;
import io.jrun.nativebind.StageEvent;
import io.jrun.nativebind.StageOp;
import java.util.ArrayList;
import java.util.List;

/**
 * The steps the C stage runs for one container, each with the words that
 * describe it to a user when it fails.  Immutable once built.
 */
public final class Plan {
    private final List<PlanEncoder.Step> steps;
    private final List<String> descriptions;

    private Plan(List<PlanEncoder.Step> steps, List<String> descriptions) {
        this.steps = List.copyOf(steps);
        this.descriptions = List.copyOf(descriptions);
    }

    public List<PlanEncoder.Step> steps() {
        return steps;
    }

    public String description(int step) {
        return step >= 0 && step < descriptions.size() ? descriptions.get(step) : "step " + step;
    }

    public byte[] encode() {
        return PlanEncoder.encode(steps);
    }

    /** One line for a failed step: what, the stage's detail, and the errno. */
    public String describe(StageEvent.Failed f) {
        StringBuilder b = new StringBuilder(description(f.step()));
        boolean lookup = f.step() < steps.size() && steps.get(f.step()).op() == StageOp.LOOKUP;
        if (lookup && f.errno() == 2 && f.detail().indexOf('/') < 0) {
            return b.append(": executable file not found in the rootfs (searched $PATH ")
                    .append(steps.get(f.step()).args().get(0)).append(")").toString();
        }
        if (!f.detail().isEmpty() && !lookup) { // a lookup's detail is the program, already named
            b.append(": ").append(f.detail());
        }
        return b.append(": ").append(Errno.describe(f.errno())).toString();
    }

    static final class Builder {
        private final List<PlanEncoder.Step> steps = new ArrayList<>();
        private final List<String> descriptions = new ArrayList<>();

        Builder add(String description, StageOp op, Object... args) {
            steps.add(new PlanEncoder.Step(op, List.of(args)));
            descriptions.add(description);
            return this;
        }

        Plan build() {
            return new Plan(steps, descriptions);
        }
    }
}
