package dev.t5pt.kernels;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The worker team: every part runs exactly once per call, failures reach the caller, the team survives them. */
class KernelTeamTest {

    @Test
    void everyPartRunsOnceInManyShortCalls() {
        for (int call = 0; call < 2000; call++) {
            int n = 1 + call % 37;
            AtomicIntegerArray runs = new AtomicIntegerArray(n);
            KernelTeam.run(n, runs::incrementAndGet);
            for (int i = 0; i < n; i++) {
                assertEquals(1, runs.get(i), "call " + call + " part " + i);
            }
        }
    }

    @Test
    void callsAfterAnIdlePauseStillRunEveryPart() {
        for (int call = 0; call < 20; call++) {
            LockSupport.parkNanos(1_000_000);             // longer than the workers spin: they park
            AtomicIntegerArray runs = new AtomicIntegerArray(64);
            KernelTeam.run(64, i -> {
                LockSupport.parkNanos(20_000);
                runs.incrementAndGet(i);
            });
            for (int i = 0; i < 64; i++) {
                assertEquals(1, runs.get(i));
            }
        }
    }

    @Test
    void aFailingPartReachesTheCallerAndTheTeamGoesOn() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> KernelTeam.run(16, i -> {
            if (i == 11) {
                throw new IllegalStateException("part 11");
            }
        }));
        assertEquals("part 11", e.getMessage());
        AtomicIntegerArray runs = new AtomicIntegerArray(16);
        KernelTeam.run(16, runs::incrementAndGet);
        for (int i = 0; i < 16; i++) {
            assertEquals(1, runs.get(i));
        }
    }
}
