package dev.t5pt.kernels;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntConsumer;

/**
 * The worker threads of the CPU kernels' data-parallel loops: one per core besides the caller, each spinning
 * briefly before it parks, so that the many short kernels of a decoding step hand their work over in
 * microseconds (a parked ForkJoin worker takes tens of microseconds to wake). Parts are taken from a shared
 * counter; which thread computes a part never changes what it computes, so results are the same for any split.
 * A call made while the team is busy (another thread's kernel) runs on its caller alone.
 */
final class KernelTeam {
    /**
     * How long an idle worker spins for the next task before parking: a decode step's kernels come tens of
     * microseconds apart (ND4J ops between them), and a parked worker takes ~50 µs to wake on a VM (decode
     * 8.1/10.0/8.8 ms per token with 50 µs, 8.0/9.4/7.8 with 200 µs, interleaved runs; the step unchanged).
     */
    private static final long SPIN_NANOS = 200_000;

    private static final int WORKERS = Math.max(0, Runtime.getRuntime().availableProcessors() - 1);
    private static final ReentrantLock BUSY = new ReentrantLock();
    private static final Thread[] THREADS = new Thread[WORKERS];
    private static volatile long generation;
    private static volatile Job job;
    /** Set by {@link #rest}: idle workers park at once instead of spinning; cleared by the next {@link #run}. */
    private static volatile boolean resting;

    /**
     * One call's parts, taken from its own counter and counted as they finish: the caller waits for the parts,
     * not for the workers, so a worker that wakes late (parked, or off the core while the JIT or OpenBLAS's
     * thread runs) costs nothing once the caller has done its share; a worker still holding a finished job finds
     * no part left in it.
     */
    private static final class Job {
        final IntConsumer part;
        final int n;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger done = new AtomicInteger();
        volatile Throwable failure;

        Job(IntConsumer part, int n) {
            this.part = part;
            this.n = n;
        }

        /** Takes parts until none is left; after a failure the rest are counted without running. */
        void work() {
            for (int i = next.getAndIncrement(); i < n; i = next.getAndIncrement()) {
                try {
                    if (failure == null) {
                        part.accept(i);
                    }
                } catch (Throwable e) {
                    failure = e;
                } finally {
                    done.incrementAndGet();
                }
            }
        }
    }

    static {
        for (int i = 0; i < WORKERS; i++) {
            Thread t = new Thread(KernelTeam::work, "t5pt-kernels-" + (i + 1));
            t.setDaemon(true);
            THREADS[i] = t;
            t.start();
        }
    }

    private KernelTeam() {
    }

    /** Runs part(0) … part(n−1), spread over the caller and the workers; returns when all are done. */
    static void run(int n, IntConsumer part) {
        if (n <= 1 || WORKERS == 0 || !BUSY.tryLock()) {
            for (int i = 0; i < n; i++) {
                part.accept(i);
            }
            return;
        }
        try {
            resting = false;
            Job j = new Job(part, n);
            job = j;
            generation++;                                   // publishes the job
            for (Thread t : THREADS) {
                LockSupport.unpark(t);
            }
            j.work();
            while (j.done.get() < n) {
                Thread.onSpinWait();
            }
            job = null;
            Throwable f = j.failure;
            if (f instanceof RuntimeException re) {
                throw re;
            }
            if (f instanceof Error e) {
                throw e;
            }
            if (f != null) {
                throw new IllegalStateException(f);
            }
        } finally {
            BUSY.unlock();
        }
    }

    /**
     * Tells idle workers to park now rather than spin: called before work that brings its own threads (an
     * OpenBLAS GEMM), so that a spinning worker does not hold a core that work's threads need.
     */
    static void rest() {
        resting = true;
    }

    private static void work() {
        long seen = 0;
        while (true) {
            long start = System.nanoTime();
            while (generation == seen) {
                if (!resting && System.nanoTime() - start < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(KernelTeam.class);
                }
            }
            seen = generation;
            Job j = job;
            if (j != null) {
                j.work();
            }
        }
    }
}
