package io.jrun.nativebind;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real stage binary decodes plans by the signatures generated from protocol.def: for every op, a step with
 * arguments of the wrong kinds is refused while decoding (before anything runs), and a step as the definition
 * gives it is decoded (it then fails for want of a clone step or of its paths, with nothing to undo).
 */
class StageDecoderTest {
    private static final Path STAGE = Path.of("target/classes/io/jrun/nativebind/jrun-stage");
    private static final int EBADMSG = 74;

    @TempDir
    Path dir;

    @Test
    void refusesEveryOpWithArgumentsNotOfItsSignature() throws IOException {
        for (StageOp op : StageOp.values()) {
            List<Object> wrong = argsFor(op);
            if (wrong.isEmpty()) {
                wrong.add(0L);
            } else {
                wrong.set(0, wrong.get(0) instanceof Long ? (Object) "/nonexistent/jrun-test" : (Object) 0L);
            }
            assertFalse(op.accepts(wrong), op.name());
            assertEquals(new StageEvent.Failed(0, EBADMSG, "decode plan"), send(raw(op, wrong)), op.name());
        }
    }

    @Test
    void decodesEveryOpWithItsSignature() throws IOException {
        for (StageOp op : StageOp.values()) {
            if (op == StageOp.CLONE) {
                continue; // it would clone: the integration tests run it
            }
            List<Object> args = argsFor(op);
            StageEvent e = send(PlanEncoder.encode(List.of(new PlanEncoder.Step(op, args))));
            assertNotEquals(new StageEvent.Failed(0, EBADMSG, "decode plan"), e, op.name());
        }
    }

    /** Arguments of op's signature (one of a repeated kind): paths that do not exist, numbers 0. */
    private static List<Object> argsFor(StageOp op) {
        List<Object> args = new ArrayList<>();
        for (char c : op.signature().toCharArray()) {
            if (c == 'u') {
                args.add(0L);
            } else if (c == 's') {
                args.add("/nonexistent/jrun-test");
            }
        }
        return args;
    }

    private StageEvent send(byte[] plan) throws IOException {
        try (StageProcess stage = StageProcess.spawn(STAGE.toAbsolutePath(), dir, new ProcessBuilder())) {
            stage.channel().sendPlan(plan);
            return stage.channel().read();
        }
    }

    /** A plan of one step written by hand, past the encoder's own check. */
    private static byte[] raw(StageOp op, List<Object> args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(Protocol.PLAN_MAGIC.getBytes(StandardCharsets.US_ASCII));
        PlanEncoder.u32(out, Protocol.PLAN_VERSION);
        PlanEncoder.u32(out, 1);
        out.write(op.code() & 0xFF);
        out.write(op.code() >>> 8);
        out.write(args.size());
        out.write(0);
        for (Object a : args) {
            if (a instanceof Long n) {
                out.write(Protocol.ARG_U64);
                PlanEncoder.u32(out, (int) (long) n);
                PlanEncoder.u32(out, 0);
            } else {
                byte[] b = ((String) a).getBytes(StandardCharsets.UTF_8);
                out.write(Protocol.ARG_STR);
                PlanEncoder.u32(out, b.length);
                out.writeBytes(b);
                out.write(0);
            }
        }
        return out.toByteArray();
    }
}
