package dev.t5pt.bench;

/**
 * The JVM options of every benchmark fork, as the launcher sets them: the Vector API module, and C2 always
 * inlining VectorMath's vector functions (where it does not, vectors crossing the call are boxed and the kernel
 * runs the Vector API's slow fallback: see ./t5pt).
 */
final class JvmFlags {
    static final String ADD_MODULES = "--add-modules";
    static final String VECTOR_MODULE = "jdk.incubator.vector";
    static final String QUIET = "-XX:CompileCommand=quiet";
    static final String INLINE_VECTOR_MATH = "-XX:CompileCommand=inline,dev.t5pt.kernels.VectorMath::*";

    private JvmFlags() {
    }
}
