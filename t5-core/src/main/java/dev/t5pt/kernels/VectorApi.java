package dev.t5pt.kernels;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Whether the JDK's Vector API (the incubator module {@code jdk.incubator.vector}) is in this JVM's boot layer.
 * Asked without touching any of its classes: loading {@link VectorKernels} without the module throws
 * {@code NoClassDefFoundError: jdk/incubator/vector/Vector}.
 */
final class VectorApi {
    static final String MODULE = "jdk.incubator.vector";
    private static final AtomicBoolean WARNED = new AtomicBoolean();

    private VectorApi() {
    }

    static boolean present() {
        return ModuleLayer.boot().findModule(MODULE).isPresent();
    }

    /**
     * The one line a library may print: an embedder who starts the JVM without the flag gets working but
     * slower kernels, and must learn why. Printed once per JVM; {@code -Dt5pt.quiet=true} silences it.
     */
    static void warnMissingOnce() {
        if (!Boolean.getBoolean("t5pt.quiet") && WARNED.compareAndSet(false, true)) {
            System.err.println("t5pt: warning: the JDK Vector API is not enabled; using ND4J's slower kernels "
                    + "(start the JVM with --add-modules " + MODULE + " for t5pt's fast CPU kernels)");
        }
    }
}
