package dev.t5pt.perf;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The machine named in the benchmarks' JSON. */
class MachineTest {
    @Test
    void namesTheFirstProcessorWithItsFamilyAndModel() {
        List<String> cpuinfo = List.of("processor\t: 0", "vendor_id\t: AuthenticAMD", "cpu family\t: 25", "model\t\t: 17",
                "model name\t: AMD EPYC", "", "processor\t: 1", "cpu family\t: 26", "model\t\t: 2", "model name\t: other", "");
        assertEquals("AMD EPYC (family 25, model 17), 2 cpus", Machine.describe(cpuinfo, 2));
    }

    @Test
    void keepsTheJsonStringValid() {
        assertEquals("odd name (family 6, model 1), 4 cpus",
                Machine.describe(List.of("model name\t: odd \"name\\\u0007", "cpu family\t: 6", "model\t: 1"), 4));
    }

    @Test
    void withoutCpuinfoFallsBackToTheArchitecture() {
        assertEquals(System.getProperty("os.arch") + ", 1 cpu", Machine.describe(List.of(), 1));
    }

    @Test
    void thisMachine() {
        int cpus = Runtime.getRuntime().availableProcessors();
        String cpu = Machine.cpu();
        assertTrue(cpu.endsWith(", " + cpus + (cpus == 1 ? " cpu" : " cpus")), cpu);
    }
}
