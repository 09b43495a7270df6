package io.jrun.runtime.json;

import io.jrun.runtime.JrunException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Reads a small UTF-8 file that jrun is given (config.json, state.json, a process or resources file) with a
 * bound: only a regular file is opened (a FIFO would block the open, /dev/zero never ends), and never more
 * than {@code max} bytes are read, so a huge or endless file is a one-line error, not an OutOfMemoryError.
 */
public final class TextFile {
    /** config.json: runc reads any size; seccomp profiles are ~100 KB, so 16 MiB leaves room. */
    public static final int CONFIG_LIMIT = 16 << 20;

    private TextFile() {}

    public static String read(Path f, int max) throws JrunException {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(f, BasicFileAttributes.class);
        } catch (IOException e) {
            throw new JrunException("read " + f + ": " + io.jrun.runtime.plan.Errno.describe(e));
        }
        if (a.isDirectory()) {
            throw new JrunException("read " + f + ": Is a directory (EISDIR)");
        }
        if (!a.isRegularFile()) {
            throw new JrunException("read " + f + ": not a regular file (a FIFO, a device or a socket)");
        }
        if (a.size() > max) {
            throw new JrunException("read " + f + ": " + a.size() + " bytes, more than the limit of " + max);
        }
        return stream(f.toString(), null, max);
    }

    /**
     * A file the user named for a command to read, which may be a pipe ({@code -} is stdin,
     * {@code /dev/fd/N}): read as runc reads it, but never more than {@code max} bytes.
     */
    public static String readAny(String name, int max) throws JrunException {
        try {
            return stream(name, name.equals("-") ? System.in : null, max);
        } catch (java.nio.file.InvalidPathException e) {
            throw new JrunException("read " + name + ": " + e.getReason());
        }
    }

    private static String stream(String name, InputStream given, int max) throws JrunException {
        byte[] b;
        try (InputStream in = given != null ? given : Files.newInputStream(Path.of(name))) {
            b = in.readNBytes(max + 1);
        } catch (IOException e) {
            throw new JrunException("read " + name + ": " + io.jrun.runtime.plan.Errno.describe(e));
        }
        if (b.length > max) {
            throw new JrunException("read " + name + ": more than the limit of " + max + " bytes");
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            throw new JrunException("read " + name + ": not UTF-8 text");
        }
    }
}
