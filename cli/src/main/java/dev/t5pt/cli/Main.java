package dev.t5pt.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/** The {@code ./t5pt} command line: thin commands over the library. */
@Command(name = "t5pt", mixinStandardHelpOptions = true, version = "t5pt 0.1.0",
        description = "T5 inference and prompt tuning on the JVM (ND4J).",
        subcommands = {DemoCommand.class, TuneCommand.class, EvalCommand.class, GenerateCommand.class, TokenizeCommand.class, DumpCommand.class, ConvertCommand.class, RandomModelCommand.class, CheckHfCommand.class, BenchCommand.class,
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
        paragraphs(cl);
        cl.setParameterExceptionHandler((ex, argv) -> {
            // a usage error: the error and where help is, not the whole help text
            CommandLine c = ex.getCommandLine();
            c.getErr().println("error: " + ex.getMessage());
            c.getErr().println("Try '" + c.getCommandSpec().qualifiedName() + " --help' for more information.");
            c.getErr().flush();
            return 2;
        });
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

    /**
     * Commands write their descriptions as source lines of ~110 characters; picocli would print each as its own
     * line, broken again at the help width. Lines are joined into paragraphs (a new paragraph where a line starts
     * a list item: "1.", "-", or an indent), which picocli then wraps whole.
     */
    private static void paragraphs(CommandLine cl) {
        var usage = cl.getCommandSpec().usageMessage();
        List<String> out = new ArrayList<>();
        for (String line : usage.description()) {
            boolean item = line.matches("^(\\s+|[0-9]+\\.\\s|-\\s).*");
            if (out.isEmpty() || item || line.isEmpty() || out.get(out.size() - 1).isEmpty()) {
                out.add(line.strip());
            } else {
                out.set(out.size() - 1, out.get(out.size() - 1) + " " + line.strip());
            }
        }
        usage.description(out.toArray(String[]::new));
        for (CommandLine sub : cl.getSubcommands().values()) {
            paragraphs(sub);
        }
    }

    static String message(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && (t.getMessage() == null || t instanceof java.lang.reflect.InvocationTargetException)) {
            t = t.getCause();
        }
        String m = t.getMessage();
        if (t instanceof dev.t5pt.tune.SettingException bad) {
            return "--" + bad.setting().replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(java.util.Locale.ROOT) + ": "
                    + bad.problem();   // the library's setting as the command line spells it
        }
        if (t instanceof dev.t5pt.tune.DataException bad) {
            return bad.getMessage() + switch (bad.remedy()) {     // the remedy in this command line's words
                case SKIP_BAD_LINES -> " (use --skip-bad to skip such lines)";
                case FIELD_NAMES -> " (--input-field and --target-field name the fields; --skip-bad skips such lines)";
                case COLUMN_NAMES -> " (--input-field and --target-field name the columns)";
            };
        }
        if (t instanceof java.io.IOException io) {
            return dev.t5pt.io.IoErrors.describe(io);
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
