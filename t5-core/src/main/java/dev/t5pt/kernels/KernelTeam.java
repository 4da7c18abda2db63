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
    private static final AtomicInteger NEXT = new AtomicInteger();
    private static final AtomicInteger RUNNING = new AtomicInteger();
    private static volatile long generation;
    private static volatile IntConsumer task;
    private static volatile int parts;
    private static volatile Throwable failure;

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
            failure = null;
            task = part;
            parts = n;
            NEXT.set(0);
            RUNNING.set(WORKERS);
            generation++;                                   // publishes task and parts
            for (Thread t : THREADS) {
                LockSupport.unpark(t);
            }
            take(part, n);
            while (RUNNING.get() > 0) {
                Thread.onSpinWait();
            }
            task = null;
            Throwable f = failure;
            if (f instanceof RuntimeException re) {
                throw re;
            }
            if (f instanceof Error e) {
                throw e;
            }
        } finally {
            BUSY.unlock();
        }
    }

    private static void take(IntConsumer part, int n) {
        for (int i = NEXT.getAndIncrement(); i < n; i = NEXT.getAndIncrement()) {
            part.accept(i);
        }
    }

    private static void work() {
        long seen = 0;
        while (true) {
            long start = System.nanoTime();
            while (generation == seen) {
                if (System.nanoTime() - start < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(KernelTeam.class);
                }
            }
            seen = generation;
            try {
                IntConsumer t = task;
                if (t != null) {
                    take(t, parts);
                }
            } catch (Throwable e) {
                failure = e;
                NEXT.set(Integer.MAX_VALUE);
            } finally {
                RUNNING.decrementAndGet();
            }
        }
    }
}
