package dev.t5pt.convert;

/** Overflow-checked shape arithmetic for shapes read from untrusted files. */
final class Shapes {
    private Shapes() {
    }

    /** Product of the dimensions; refuses negative dimensions and products past 2^63. */
    static long numElements(long[] shape, String what) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException(what + ": negative dimension " + d);
            }
            try {
                n = Math.multiplyExact(n, d);
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException(what + ": the product of shape " + java.util.Arrays.toString(shape)
                        + " overflows 64 bits");
            }
        }
        return n;
    }
}
