package io.discagent.service.cli;

import io.discagent.service.logging.LogFormat;
import io.discagent.service.logging.LogLevel;
import io.discagent.service.logging.LoggingSetup;
import io.discagent.service.problem.ExitCode;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The {@code discagent} command: {@code serve} runs the service; {@code list}, {@code acquire}, {@code release},
 * {@code owner}, {@code watch} and {@code sim} talk to a running one; {@code exec} holds a recorder while a command
 * runs (through a running service, or on its own); {@code burn} burns an image through a running service;
 * {@code completion} prints the shell completion script.
 * {@code --help} works everywhere; the exit codes are in {@link ExitCode}.
 */
@Command(name = "discagent", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Exclusive access to optical disc recorders, shared between the applications of one machine.")
public final class Main implements Runnable {

    /** The subcommands, in the order {@code --help} lists them. */
    private static final Map<String, Supplier<Object>> SUBCOMMANDS = new LinkedHashMap<>();

    static {
        SUBCOMMANDS.put("serve", ServeCommand::spec); // its options are derived from the settings lists
        SUBCOMMANDS.put("list", ListCommand::new);
        SUBCOMMANDS.put("acquire", AcquireCommand::new);
        SUBCOMMANDS.put("release", ReleaseCommand::new);
        SUBCOMMANDS.put("owner", OwnerCommand::new);
        SUBCOMMANDS.put("exec", ExecCommand::new);
        SUBCOMMANDS.put("burn", BurnCommand::new);
        SUBCOMMANDS.put("watch", WatchCommand::new);
        SUBCOMMANDS.put("sim", SimCommand::new);
        SUBCOMMANDS.put("completion", CompletionCommand::new); // needs every command
        SUBCOMMANDS.put("help", CommandLine.HelpCommand::new);
    }

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        LoggingSetup.configure(LogLevel.INFO, LogFormat.TEXT); // serve sets its own
        System.exit(execute(commandLine(args.length > 0 ? args[0] : ""), System.getenv(), args));
    }

    /**
     * Executes {@code args} on {@code commandLine}, with the defaults of {@code environment} and of the configuration
     * file ({@code --config}, else the one {@code DISCAGENT_CONFIG} names, else the machine's): see
     * {@link ConfigDefaults}. A configuration file that was named but cannot be read is a usage error.
     *
     * @return the exit code
     */
    public static int execute(CommandLine commandLine, Map<String, String> environment, String... args) {
        try {
            commandLine.setDefaultValueProvider(ConfigDefaults.load(ConfigDefaults.configArgument(args),
                    environment));
        } catch (ConfigDefaults.Unreadable e) {
            commandLine.getErr().println("discagent: " + e.getMessage());
            commandLine.getErr().flush();
            return ExitCode.USAGE.code();
        }
        return commandLine.execute(args);
    }

    /** The command line with every subcommand, ready to execute. */
    public static CommandLine commandLine() {
        return commandLine("");
    }

    /**
     * The command line, ready to execute {@code first}: when that names a subcommand, only that one is built
     * (picocli reflects over every command it is given, and building all of them costs {@code serve} about a tenth
     * of a second of its start); otherwise all of them, for the top-level help and for picocli's suggestions.
     */
    static CommandLine commandLine(String first) {
        CommandLine cl = new CommandLine(new Main());
        if (SUBCOMMANDS.containsKey(first) && !first.equals("help") && !first.equals("completion")) {
            cl.addSubcommand(first, SUBCOMMANDS.get(first).get());
        } else {
            SUBCOMMANDS.forEach((name, command) -> cl.addSubcommand(name, command.get()));
        }
        cl.getCommandSpec().usageMessage().footer("", ExitCode.summary()); // written from the one list of codes
        cl.registerConverter(java.time.Duration.class, Durations::parse);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        if (cl.getSubcommands().containsKey("exec")) {
            cl.getSubcommands().get("exec").setStopAtPositional(true); // COMMAND's own options are COMMAND's
        }
        cl.setExecutionExceptionHandler((e, line, parsed) -> {
            line.getErr().println("discagent: " + e.getMessage());
            return ExitCode.FAILURE.code();
        });
        return cl;
    }

    /** The command line, writing to {@code out} and {@code err} (for tests; {@link #execute} adds the configuration). */
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
