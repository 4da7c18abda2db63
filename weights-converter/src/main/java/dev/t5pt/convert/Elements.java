package dev.t5pt.convert;

import dev.t5pt.io.DType;
import dev.t5pt.io.HalfFloats;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Element-wise reading, casting and transposing of little-endian tensor bytes. */
final class Elements {
    private Elements() {
    }

    /** Element {@code i} of a floating tensor, exactly, as a double. */
    static double floating(ByteBuffer b, DType t, int i) {
        return switch (t) {
            case F32 -> b.getFloat(i * 4);
            case F64 -> b.getDouble(i * 8);
            case BF16 -> HalfFloats.bf16ToFloat(b.getShort(i * 2));
            case F16 -> HalfFloats.f16ToFloat(b.getShort(i * 2));
            default -> throw new IllegalArgumentException(t + " is not floating");
        };
    }

    /** Element {@code i} as text: floats as the exact decimal of the stored value, integers as integers. */
    static String text(ByteBuffer b, DType t, int i) {
        return switch (t) {
            case F32, BF16, F16 -> Double.toString((float) floating(b, t, i));
            case F64 -> Double.toString(b.getDouble(i * 8));
            case I64 -> Long.toString(b.getLong(i * 8));
            case I32 -> Integer.toString(b.getInt(i * 4));
            case I8 -> Byte.toString(b.get(i));
            case U8 -> Integer.toString(b.get(i) & 0xff);
            case BOOL -> b.get(i) != 0 ? "True" : "False";
        };
    }

    /**
     * Re-encodes a floating tensor as {@code to}; F32↔F32, BF16→F32 and F16→F32 are exact, narrowing rounds
     * to nearest even. Returns {@code b} itself when the types agree.
     */
    static ByteBuffer cast(ByteBuffer b, DType from, DType to, long n) {
        if (from == to) {
            return b;
        }
        ByteBuffer out = ByteBuffer.allocate(Math.toIntExact(n * to.size)).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            double v = floating(b, from, i);
            switch (to) {
                case F32 -> out.putFloat((float) v);
                case BF16 -> out.putShort(HalfFloats.floatToBf16((float) v));
                case F16 -> out.putShort(HalfFloats.floatToF16((float) v));
                case F64 -> out.putDouble(v);
                default -> throw new IllegalArgumentException("cannot cast to " + to);
            }
        }
        return out.flip();
    }

    /** The transpose of a row-major [rows, cols] matrix of {@code size}-byte elements. */
    static ByteBuffer transpose(ByteBuffer b, long rows, long cols, int size) {
        int r = Math.toIntExact(rows);
        int c = Math.toIntExact(cols);
        byte[] src = new byte[b.remaining()];
        b.duplicate().get(src);
        byte[] dst = new byte[src.length];
        for (int i = 0; i < r; i++) {
            for (int j = 0; j < c; j++) {
                System.arraycopy(src, (i * c + j) * size, dst, (j * r + i) * size, size);
            }
        }
        return ByteBuffer.wrap(dst).order(ByteOrder.LITTLE_ENDIAN);
    }
}
