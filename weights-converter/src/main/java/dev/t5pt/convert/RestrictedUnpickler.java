package dev.t5pt.convert;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A pickle reader that builds plain data and never runs anything. It implements the opcodes of protocols
 * 2-5 that describe data (numbers, strings, tuples, lists, dicts, memo, frames); the only code a pickle can
 * name, GLOBAL/STACK_GLOBAL, is looked up in a caller-supplied allowlist the moment it is read, and any other
 * name fails with that name. Calls (REDUCE) and BUILD are handed to the caller's {@link Calls} with already
 * vetted callables. Opcodes that would instantiate arbitrary classes (INST, OBJ, NEWOBJ, EXT*) are refused.
 */
final class RestrictedUnpickler {

    /** A global the allowlist accepted: the caller's own token for it. */
    record Global(String module, String name) {
        @Override
        public String toString() {
            return module + "." + name;
        }
    }

    /** A pickle tuple. */
    record Tuple(Object[] items) {
        int size() {
            return items.length;
        }

        Object get(int i) {
            return items[i];
        }

        @Override
        public String toString() {
            return Arrays.toString(items);
        }
    }

    /** What the caller does for calls and persistent ids; each may refuse with a PickleException. */
    interface Calls {
        boolean allowed(Global g);

        Object call(Global callable, Tuple args);

        Object persistentLoad(Object pid);

        /** BUILD: set state on an object a call returned. */
        Object build(Object obj, Object state);
    }

    /** A refused or malformed pickle. */
    static final class PickleException extends RuntimeException {
        PickleException(String message) {
            super(message);
        }
    }

    private static final Object MARK = new Object();

    private final byte[] b;
    private final Calls calls;
    private int pos;
    private final List<Object> stack = new ArrayList<>();
    private final Map<Long, Object> memo = new HashMap<>();

    private RestrictedUnpickler(byte[] b, Calls calls) {
        this.b = b;
        this.calls = calls;
    }

    static Object load(byte[] pickle, Calls calls) {
        return new RestrictedUnpickler(pickle, calls).run();
    }

    private Object run() {
        while (true) {
            if (pos >= b.length) {
                throw new PickleException("truncated: no STOP opcode before the end of " + b.length + " bytes");
            }
            int at = pos;
            int op = b[pos++] & 0xff;
            switch (op) {
                case 0x80 -> { // PROTO
                    int proto = u8();
                    if (proto > 5) {
                        throw new PickleException("unsupported pickle protocol " + proto);
                    }
                }
                case 0x95 -> need(8); // FRAME: a length hint only
                case '.' -> { // STOP
                    if (stack.size() != 1) {
                        throw new PickleException("STOP with " + stack.size() + " items on the stack");
                    }
                    return stack.get(0);
                }
                case '(' -> stack.add(MARK);
                case 'N' -> stack.add(null);
                case 0x88 -> stack.add(Boolean.TRUE);
                case 0x89 -> stack.add(Boolean.FALSE);
                case 'J' -> stack.add((long) le(4));
                case 'K' -> stack.add((long) u8());
                case 'M' -> stack.add((long) (le(2) & 0xffff));
                case 0x8a -> stack.add(long1(u8()));
                case 0x8b -> stack.add(long1(Math.toIntExact(le(4) & 0xffffffffL)));
                case 'G' -> {
                    need(8);
                    stack.add(ByteBuffer.wrap(b, pos, 8).order(ByteOrder.BIG_ENDIAN).getDouble());
                    pos += 8;
                }
                case 'X' -> stack.add(utf8(le(4) & 0xffffffffL));
                case 0x8c -> stack.add(utf8(u8()));
                case 0x8d -> stack.add(utf8(le(8)));
                case 'U' -> stack.add(bytes(u8()));
                case 'T' -> stack.add(bytes(le(4) & 0xffffffffL));
                case 'C' -> stack.add(bytes(u8()));
                case 'B' -> stack.add(bytes(le(4) & 0xffffffffL));
                case ')' -> stack.add(new Tuple(new Object[0]));
                case 0x85, 0x86, 0x87 -> {
                    int n = op - 0x84;
                    stack.add(new Tuple(popN(n)));
                }
                case 't' -> stack.add(new Tuple(popToMark().toArray()));
                case ']' -> stack.add(new ArrayList<>());
                case 'l' -> stack.add(new ArrayList<>(popToMark()));
                case '}' -> stack.add(new LinkedHashMap<>());
                case 'd' -> {
                    List<Object> items = popToMark();
                    Map<Object, Object> m = new LinkedHashMap<>();
                    putAll(m, items);
                    stack.add(m);
                }
                case 'a' -> {
                    Object v = pop();
                    list(peek()).add(v);
                }
                case 'e' -> {
                    List<Object> items = popToMark();
                    list(peek()).addAll(items);
                }
                case 's' -> {
                    Object v = pop();
                    Object k = pop();
                    dict(peek()).put(k, v);
                }
                case 'u' -> {
                    List<Object> items = popToMark();
                    putAll(dict(peek()), items);
                }
                case 'q' -> memo.put((long) u8(), peek());
                case 'r' -> memo.put(le(4) & 0xffffffffL, peek());
                case 0x94 -> memo.put((long) memo.size(), peek());
                case 'h' -> stack.add(memoGet(u8()));
                case 'j' -> stack.add(memoGet(le(4) & 0xffffffffL));
                case 'c' -> stack.add(global(line(), line()));
                case 0x93 -> {
                    Object name = pop();
                    Object module = pop();
                    if (!(module instanceof String m) || !(name instanceof String n)) {
                        throw new PickleException("STACK_GLOBAL with non-string module/name at byte " + at);
                    }
                    stack.add(global(m, n));
                }
                case 'Q' -> stack.add(calls.persistentLoad(pop()));
                case 'R' -> {
                    Object args = pop();
                    Object fn = pop();
                    if (!(fn instanceof Global g) || !(args instanceof Tuple t)) {
                        throw new PickleException("REDUCE of a non-global " + describe(fn) + " at byte " + at);
                    }
                    stack.add(calls.call(g, t));
                }
                case 'b' -> {
                    Object state = pop();
                    stack.add(calls.build(pop(), state));
                }
                case '0' -> pop();
                case '2' -> stack.add(peek());
                default -> throw new PickleException(String.format("refused pickle opcode 0x%02x ('%s') at byte %d:"
                        + " not part of a plain state dict", op, Character.isLetterOrDigit(op) ? (char) op : '?', at));
            }
        }
    }

    private Object global(String module, String name) {
        Global g = new Global(module, name);
        if (!calls.allowed(g)) {
            throw new PickleException("refused global '" + module + "." + name + "': a state dict only needs"
                    + " OrderedDict, torch's tensor-rebuild functions and storage types; nothing was executed");
        }
        return g;
    }

    private void putAll(Map<Object, Object> m, List<Object> items) {
        if (items.size() % 2 != 0) {
            throw new PickleException("odd number of items for a dict");
        }
        for (int i = 0; i < items.size(); i += 2) {
            m.put(items.get(i), items.get(i + 1));
        }
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object o) {
        if (o instanceof List<?> l) {
            return (List<Object>) l;
        }
        throw new PickleException("APPEND to a " + describe(o));
    }

    @SuppressWarnings("unchecked")
    private static Map<Object, Object> dict(Object o) {
        if (o instanceof Map<?, ?> m) {
            return (Map<Object, Object>) m;
        }
        throw new PickleException("SETITEM on a " + describe(o));
    }

    static String describe(Object o) {
        return o == null ? "None" : o instanceof Global g ? "global " + g : o.getClass().getSimpleName();
    }

    private Object memoGet(long key) {
        if (!memo.containsKey(key)) {
            throw new PickleException("memo key " + key + " read before it was written");
        }
        return memo.get(key);
    }

    private Object pop() {
        if (stack.isEmpty()) {
            throw new PickleException("stack underflow at byte " + pos);
        }
        Object o = stack.remove(stack.size() - 1);
        if (o == MARK) {
            throw new PickleException("unexpected MARK at byte " + pos);
        }
        return o;
    }

    private Object peek() {
        if (stack.isEmpty() || stack.get(stack.size() - 1) == MARK) {
            throw new PickleException("nothing to operate on at byte " + pos);
        }
        return stack.get(stack.size() - 1);
    }

    private Object[] popN(int n) {
        Object[] out = new Object[n];
        for (int i = n - 1; i >= 0; i--) {
            out[i] = pop();
        }
        return out;
    }

    private List<Object> popToMark() {
        int m = stack.lastIndexOf(MARK);
        if (m < 0) {
            throw new PickleException("no MARK on the stack at byte " + pos);
        }
        List<Object> items = new ArrayList<>(stack.subList(m + 1, stack.size()));
        stack.subList(m, stack.size()).clear();
        return items;
    }

    private void need(long n) {
        if (n < 0 || n > b.length - pos) {
            throw new PickleException("truncated: " + n + " bytes needed at byte " + pos + " of " + b.length);
        }
    }

    private int u8() {
        need(1);
        return b[pos++] & 0xff;
    }

    private long le(int n) {
        need(n);
        long v = 0;
        for (int i = n - 1; i >= 0; i--) {
            v = v << 8 | (b[pos + i] & 0xff);
        }
        pos += n;
        return n == 4 ? (int) v : v; // BININT is signed 32-bit
    }

    private Object long1(int n) {
        need(n);
        byte[] be = new byte[Math.max(n, 1)];
        for (int i = 0; i < n; i++) {
            be[n - 1 - i] = b[pos + i];
        }
        pos += n;
        BigInteger v = n == 0 ? BigInteger.ZERO : new BigInteger(be);
        return v.bitLength() < 64 ? (Object) v.longValue() : v;
    }

    private String utf8(long n) {
        need(n);
        String s = new String(b, pos, (int) n, StandardCharsets.UTF_8);
        pos += (int) n;
        return s;
    }

    private byte[] bytes(long n) {
        need(n);
        byte[] out = Arrays.copyOfRange(b, pos, pos + (int) n);
        pos += (int) n;
        return out;
    }

    private String line() {
        int nl = pos;
        while (nl < b.length && b[nl] != '\n') {
            nl++;
        }
        if (nl >= b.length) {
            throw new PickleException("truncated GLOBAL at byte " + pos);
        }
        String s = new String(b, pos, nl - pos, StandardCharsets.UTF_8);
        pos = nl + 1;
        return s;
    }
}
