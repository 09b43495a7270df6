package io.jrun.image.pull;

import io.jrun.image.ImageException;

/** An OCI platform: os, architecture and an optional variant, as {@code --platform linux/arm64/v8} gives it. */
public record Platform(String os, String architecture, String variant) {
    /** The platform of this host, in Go's names (amd64, arm64, ...), as registries list them. */
    public static Platform host() {
        String arch = System.getProperty("os.arch");
        String goArch = switch (arch) {
            case "amd64", "x86_64" -> "amd64";
            case "aarch64", "arm64" -> "arm64";
            case "x86", "i386", "i486", "i586", "i686" -> "386";
            case "arm" -> "arm";
            case "ppc64le" -> "ppc64le";
            case "s390x" -> "s390x";
            case "riscv64" -> "riscv64";
            default -> arch;
        };
        return new Platform("linux", goArch, null);
    }

    public static Platform parse(String s) throws ImageException {
        String[] p = s.split("/", -1);
        if (p.length < 2 || p.length > 3 || p[0].isEmpty() || p[1].isEmpty() || p.length == 3 && p[2].isEmpty()) {
            throw new ImageException("platform \"" + s + "\": expected OS/ARCH[/VARIANT], e.g. linux/amd64");
        }
        return new Platform(p[0], p[1], p.length == 3 ? p[2] : null);
    }

    /** Whether an index entry with these values is for this platform (a variant asked for must match). */
    public boolean matches(String os, String architecture, String variant) {
        return this.os.equals(os) && this.architecture.equals(architecture)
                && (this.variant == null || this.variant.equals(variant)
                        || variant == null && this.architecture.equals("arm64") && this.variant.equals("v8"));
    }

    @Override
    public String toString() {
        return os + "/" + architecture + (variant == null ? "" : "/" + variant);
    }
}
