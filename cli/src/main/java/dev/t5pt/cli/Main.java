package dev.t5pt.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/** The {@code ./t5pt} command line: thin commands over the library. */
@Command(name = "t5pt", mixinStandardHelpOptions = true, version = "t5pt 0.1.0",
        description = "T5 inference and prompt tuning on the JVM (ND4J).",
        subcommands = {DemoCommand.class, TuneCommand.class, EvalCommand.class, GenerateCommand.class, TokenizeCommand.class, DumpCommand.class, ConvertCommand.class, CheckHfCommand.class, BenchCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Runs the command line and returns the exit code (0 ok, 1 failure, 2 usage error). */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            err.println("error: " + message(e));
            if (System.getenv("T5PT_DEBUG") != null || Boolean.getBoolean("t5pt.debug")) {
                e.printStackTrace(err);
            }
            err.flush();
            return 1;
        });
        int code = cl.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    static String message(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && (t.getMessage() == null || t instanceof java.lang.reflect.InvocationTargetException)) {
            t = t.getCause();
        }
        String m = t.getMessage();
        if (t instanceof java.nio.file.NoSuchFileException nf) {
            return nf.getFile() + ": " + (nf.getReason() == null ? "no such file" : nf.getReason());
        }
        if (t instanceof OutOfMemoryError) {
            return "out of memory (" + m + "); raise -Xmx via T5PT_JAVA_OPTS or use a smaller batch";
        }
        return m == null ? t.getClass().getSimpleName() : m;
    }

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(System.out, true);
        PrintWriter err = new PrintWriter(System.err, true);
        System.exit(run(args, out, err));
    }
}
