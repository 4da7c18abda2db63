package dev.t5pt.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;

/** Runs the command line in-process and captures what it printed. */
record Cli(int code, String out, String err) {

    static Cli run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out), new PrintWriter(err));
        return new Cli(code, out.toString(), err.toString());
    }

    static Path fixture(String model) {
        return Path.of(System.getProperty("t5pt.fixtures", "../t5-core/src/test/resources/fixtures"), "t5", model);
    }
}
