package dev.jmerge.io.pytorch;

import dev.jmerge.error.MergeException;
import dev.jmerge.tensor.DType;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A pickle reader that knows only what a PyTorch state dict is made of: containers, strings, numbers, ordered
 * dicts, tensor rebuild calls and storages by persistent id. Every global is checked against a short allow list
 * when it is named, and nothing is ever called: "calls" build plain Java values. A checkpoint is untrusted input.
 */
final class RestrictedUnpickler {

    /** A storage named by a persistent id: its element type, zip key and element count. */
    record StorageRef(DType dtype, String key, long numel) {}

    /** What {@code _rebuild_tensor_v2} would have built. */
    record TensorRef(StorageRef storage, long offset, long[] size, long[] stride) {}

    record Tuple(List<Object> items) {}

    private record Global(String module, String name) {
        String qualified() { return module + "." + name; }
    }

    private static final Object MARK = new Object();
    private static final Object NONE = new Object();

    private static final Map<String, DType> STORAGES = Map.ofEntries(
            Map.entry("DoubleStorage", DType.F64), Map.entry("FloatStorage", DType.F32),
            Map.entry("HalfStorage", DType.F16), Map.entry("BFloat16Storage", DType.BF16),
            Map.entry("LongStorage", DType.I64), Map.entry("IntStorage", DType.I32),
            Map.entry("ShortStorage", DType.I16), Map.entry("CharStorage", DType.I8),
            Map.entry("ByteStorage", DType.U8), Map.entry("BoolStorage", DType.BOOL));

    private static final Set<String> CALLABLE = Set.of("collections.OrderedDict", "torch._utils._rebuild_tensor_v2",
            "torch._utils._rebuild_parameter");

    private final Path file;
    private final ByteBuffer in;
    private final List<Object> stack = new ArrayList<>();
    private final List<Integer> marks = new ArrayList<>();
    private final Map<Long, Object> memo = new HashMap<>();

    private RestrictedUnpickler(Path file, byte[] pickle) {
        this.file = file;
        this.in = ByteBuffer.wrap(pickle).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The unpickled top-level object: maps are {@link LinkedHashMap}, lists {@link List}, tuples {@link Tuple}. */
    static Object load(Path file, byte[] pickle) {
        try {
            return new RestrictedUnpickler(file, pickle).run();
        } catch (java.nio.BufferUnderflowException | IndexOutOfBoundsException | ClassCastException e) {
            throw bad(file, "data.pkl is truncated or malformed (" + e.getClass().getSimpleName() + ")");
        }
    }

    private Object run() {
        while (true) {
            int op = in.get() & 0xFF;
            switch (op) {
                case 0x80 -> { // PROTO
                    int v = in.get() & 0xFF;
                    if (v < 2 || v > 5) throw bad(file, "pickle protocol " + v + " is not supported (2 to 5 are)");
                }
                case 0x95 -> in.getLong(); // FRAME: a size hint only
                case '.' -> { return unwrap(pop()); }
                case '}' -> push(new LinkedHashMap<>());
                case ']' -> push(new ArrayList<>());
                case ')' -> push(new Tuple(List.of()));
                case '(' -> { marks.add(stack.size()); }
                case 't' -> push(new Tuple(popMark()));
                case 0x85 -> push(new Tuple(List.of(pop())));
                case 0x86 -> { Object b = pop(), a = pop(); push(new Tuple(List.of(a, b))); }
                case 0x87 -> { Object c = pop(), b = pop(), a = pop(); push(new Tuple(List.of(a, b, c))); }
                case 'X' -> push(string(Integer.toUnsignedLong(in.getInt())));
                case 0x8c -> push(string(in.get() & 0xFF));
                case 0x8d -> push(string(in.getLong()));
                case 'T' -> push(string(Integer.toUnsignedLong(in.getInt())));
                case 'U' -> push(string(in.get() & 0xFF));
                case 'J' -> push((long) in.getInt());
                case 'K' -> push((long) (in.get() & 0xFF));
                case 'M' -> push((long) (in.getShort() & 0xFFFF));
                case 0x8a -> push(longN(in.get() & 0xFF));
                case 0x8b -> push(longN(Integer.toUnsignedLong(in.getInt())));
                case 'G' -> { in.order(ByteOrder.BIG_ENDIAN); double d = in.getDouble(); in.order(ByteOrder.LITTLE_ENDIAN); push(d); }
                case 'N' -> push(NONE);
                case 0x88 -> push(Boolean.TRUE);
                case 0x89 -> push(Boolean.FALSE);
                case 'q' -> memo.put((long) (in.get() & 0xFF), peek());
                case 'r' -> memo.put(Integer.toUnsignedLong(in.getInt()), peek());
                case 0x94 -> memo.put((long) memo.size(), peek());
                case 'h' -> push(memoGet(in.get() & 0xFF));
                case 'j' -> push(memoGet(Integer.toUnsignedLong(in.getInt())));
                case 's' -> { Object v = pop(), k = pop(); dict(peek()).put(k, v); }
                case 'u' -> {
                    List<Object> kv = popMark();
                    Map<Object, Object> d = dict(peek());
                    for (int i = 0; i + 1 < kv.size(); i += 2) d.put(kv.get(i), kv.get(i + 1));
                }
                case 'a' -> { Object v = pop(); list(peek()).add(v); }
                case 'e' -> { List<Object> vs = popMark(); list(peek()).addAll(vs); }
                case 'c' -> push(global(line(), line()));
                case 0x93 -> { String name = (String) pop(); String module = (String) pop(); push(global(module, name)); }
                case 'R' -> { Tuple args = (Tuple) pop(); push(call(pop(), args)); }
                case 'Q' -> push(persistent(pop()));
                case 'b' -> pop(); // BUILD: the state of an OrderedDict (its _metadata) carries no tensors
                default -> throw bad(file, String.format("pickle opcode 0x%02x is not allowed in a state dict", op));
            }
        }
    }

    private Object global(String module, String name) {
        String q = module + "." + name;
        boolean storage = module.equals("torch") && STORAGES.containsKey(name);
        if (!storage && !CALLABLE.contains(q)) {
            throw bad(file, "refusing to load global '" + q + "': a state dict only needs tensors, storages and"
                    + " OrderedDict (this checkpoint may be malicious)");
        }
        return new Global(module, name);
    }

    private Object call(Object callable, Tuple args) {
        if (!(callable instanceof Global g)) throw bad(file, "pickle calls something that is not a global");
        List<Object> a = args.items();
        return switch (g.qualified()) {
            case "collections.OrderedDict" -> {
                if (!a.isEmpty()) throw bad(file, "OrderedDict built with arguments");
                yield new LinkedHashMap<>();
            }
            case "torch._utils._rebuild_tensor_v2" -> {
                if (a.size() < 4 || !(a.getFirst() instanceof StorageRef s)) {
                    throw bad(file, "_rebuild_tensor_v2 without a storage");
                }
                yield new TensorRef(s, (Long) a.get(1), longs(a.get(2)), longs(a.get(3)));
            }
            case "torch._utils._rebuild_parameter" -> {
                if (a.isEmpty() || !(a.getFirst() instanceof TensorRef t)) throw bad(file, "_rebuild_parameter without a tensor");
                yield t;
            }
            default -> throw bad(file, "refusing to call '" + g.qualified() + "'");
        };
    }

    private Object persistent(Object pid) {
        if (!(pid instanceof Tuple t) || t.items().size() < 5 || !"storage".equals(t.items().getFirst())
                || !(t.items().get(1) instanceof Global g) || !STORAGES.containsKey(g.name())
                || !(t.items().get(2) instanceof String key) || !(t.items().get(4) instanceof Long numel)) {
            throw bad(file, "persistent id is not a ('storage', type, key, location, numel) tuple");
        }
        return new StorageRef(STORAGES.get(g.name()), key, numel);
    }

    private static long[] longs(Object o) {
        List<Object> items = ((Tuple) o).items();
        long[] out = new long[items.size()];
        for (int i = 0; i < out.length; i++) out[i] = (Long) items.get(i);
        return out;
    }

    private Object unwrap(Object o) { return o == NONE ? null : o; }

    private String string(long len) {
        if (len < 0 || len > in.remaining()) throw bad(file, "data.pkl: string of " + len + " bytes runs past the end");
        byte[] b = new byte[(int) len];
        in.get(b);
        return new String(b, StandardCharsets.UTF_8);
    }

    private Object longN(long len) {
        if (len > 8 || len > in.remaining()) throw bad(file, "data.pkl: integer of " + len + " bytes is too large");
        byte[] b = new byte[(int) len];
        in.get(b);
        if (len == 0) return 0L;
        byte[] be = new byte[b.length];
        for (int i = 0; i < b.length; i++) be[i] = b[b.length - 1 - i];
        return new BigInteger(be).longValue();
    }

    private String line() {
        StringBuilder sb = new StringBuilder();
        for (byte c = in.get(); c != '\n'; c = in.get()) {
            if (sb.length() > 256) throw bad(file, "data.pkl: global name too long");
            sb.append((char) (c & 0xFF));
        }
        return sb.toString();
    }

    private Object memoGet(long key) {
        Object o = memo.get(key);
        if (o == null) throw bad(file, "data.pkl: memo key " + key + " used before it was set");
        return o;
    }

    @SuppressWarnings("unchecked")
    private Map<Object, Object> dict(Object o) {
        if (o instanceof Map<?, ?> m) return (Map<Object, Object>) m;
        throw bad(file, "data.pkl: SETITEM on something that is not a dict");
    }

    @SuppressWarnings("unchecked")
    private List<Object> list(Object o) {
        if (o instanceof ArrayList<?> l) return (List<Object>) l;
        throw bad(file, "data.pkl: APPEND on something that is not a list");
    }

    private void push(Object o) {
        if (stack.size() > 1_000_000) throw bad(file, "data.pkl: pickle stack too deep");
        stack.add(o);
    }

    private Object pop() {
        if (stack.isEmpty() || (!marks.isEmpty() && marks.getLast() == stack.size())) {
            throw bad(file, "data.pkl: pickle stack underflow");
        }
        return stack.removeLast();
    }

    private Object peek() {
        if (stack.isEmpty()) throw bad(file, "data.pkl: pickle stack underflow");
        return stack.getLast();
    }

    private List<Object> popMark() {
        if (marks.isEmpty()) throw bad(file, "data.pkl: pickle MARK missing");
        int m = marks.removeLast();
        List<Object> items = new ArrayList<>(stack.subList(m, stack.size()));
        stack.subList(m, stack.size()).clear();
        return items;
    }

    static MergeException bad(Path file, String what) {
        return new MergeException(file + ": " + what);
    }
}
