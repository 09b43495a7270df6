package io.jrun.micro.manifest;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Why each file is in the result: every in-root path with its kind and the reasons that brought
 * it in ("ELF dependency of /usr/bin/node", "opened by the workload", "named by the user",
 * "generated"). The first reason is the one that added it; later ones are kept too.
 */
public final class Manifest {
    public enum Kind { FILE, DIR, SYMLINK, GENERATED }

    /** One path: what it is and why it is in. {@code content} holds a generated file's bytes. */
    public static final class Item {
        private final Kind kind;
        private final List<String> reasons = new ArrayList<>();
        private final byte[] content;
        private final int mode;

        Item(Kind kind, byte[] content, int mode) {
            this.kind = kind;
            this.content = content;
            this.mode = mode;
        }

        public Kind kind() {
            return kind;
        }

        public List<String> reasons() {
            return Collections.unmodifiableList(reasons);
        }

        public byte[] content() {
            return content;
        }

        public int mode() {
            return mode;
        }
    }

    private final Map<String, Item> items = new TreeMap<>();

    /** Adds a path from the source root (or a reason to one already in); true when it is new. */
    public boolean add(String path, Kind kind, String reason) {
        Item it = items.get(path);
        boolean added = it == null;
        if (added) {
            it = new Item(kind, null, -1);
            items.put(path, it);
        }
        if (!it.reasons.contains(reason) && it.reasons.size() < 8) {
            it.reasons.add(reason);
        }
        return added;
    }

    /** A file made here rather than copied (it replaces one from the source). */
    public void generate(String path, byte[] content, int mode, String reason) {
        Item it = new Item(Kind.GENERATED, content, mode);
        it.reasons.add(reason);
        items.put(path, it);
    }

    public boolean contains(String path) {
        return items.containsKey(path);
    }

    public Item get(String path) {
        return items.get(path);
    }

    /** The paths in order (a parent before its children). */
    public Map<String, Item> items() {
        return Collections.unmodifiableMap(items);
    }

    /** The manifest as text: one line per path, "PATH<TAB>KIND<TAB>REASON[; REASON...]". */
    public String text() {
        StringBuilder sb = new StringBuilder("# path\tkind\twhy it is in\n");
        for (Map.Entry<String, Item> e : items.entrySet()) {
            sb.append(e.getKey()).append('\t').append(e.getValue().kind.name().toLowerCase()).append('\t')
                    .append(String.join("; ", e.getValue().reasons)).append('\n');
        }
        return sb.toString();
    }
}
