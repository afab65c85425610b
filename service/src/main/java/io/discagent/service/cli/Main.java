package io.discagent.service.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The {@code discagent} command: {@code serve} runs the service; {@code list}, {@code acquire}, {@code release},
 * {@code owner}, {@code watch} and {@code sim} talk to a running one. {@code --help} works everywhere; the exit
 * codes are in {@link ExitCodes}.
 */
@Command(name = "discagent", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Exclusive access to optical disc recorders, shared between the applications of one machine.",
        subcommands = {ServeCommand.class, ListCommand.class, AcquireCommand.class, ReleaseCommand.class,
                OwnerCommand.class, WatchCommand.class, SimCommand.class, CommandLine.HelpCommand.class},
        footer = {"", "Exit codes: 0 ok, 1 failure, 2 usage, 3 agent unreachable, 4 not found, 5 recorder busy "
                + "(locked, wait timed out, too many), 6 token denied, 7 lock not held or session closed, "
                + "8 recorder failure."})
public final class Main implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The command line, ready to execute. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.registerConverter(java.time.Duration.class, Durations::parse);
        cl.setExecutionExceptionHandler((e, line, parsed) -> {
            line.getErr().println("discagent: " + e.getMessage());
            return ExitCodes.FAILURE;
        });
        return cl;
    }

    /** The command line, writing to {@code out} and {@code err} (for tests). */
    public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        return commandLine().setOut(out).setErr(err);
    }

    /** Reads the version from the jar's manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = Main.class.getPackage().getImplementationVersion();
            return new String[] {"discagent " + (version == null ? "0.1.0-SNAPSHOT" : version)};
        }
    }
}
