package io.discagent.service.cli;

import io.discagent.agent.AgentOptions;
import io.discagent.agent.Setting;
import io.discagent.api.error.InvalidArgumentException;
import io.discagent.service.DiscService;
import io.discagent.service.ServiceConfig;
import io.discagent.service.logging.LogFormat;
import io.discagent.service.logging.LogLevel;
import io.discagent.service.logging.LoggingSetup;
import io.discagent.service.problem.ExitCode;
import java.net.BindException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code discagent serve}: runs the agent and its HTTP API until Ctrl-C.
 *
 * <p>Its tuning options are not written here: one option per setting of {@link AgentOptions#settings()} and
 * {@link ServiceConfig#settings()} ({@code commandTimeout} becomes {@code --command-timeout}, with the setting's
 * default and description), so a setting added to either list is an option at once; {@link ConfigDefaults} gives
 * every option of this command its configuration key ({@code command-timeout}) and environment variable
 * ({@code DISCAGENT_COMMAND_TIMEOUT}) by the same rule, and the docs' table is written from this command's options.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Run the agent and its HTTP API (loopback only unless an access token is set).",
        footer = {"", "Every option has a key in the configuration file (its name without the dashes: max-wait=1h) "
                + "and an environment variable (DISCAGENT_ and the key in capitals: DISCAGENT_MAX_WAIT). An option "
                + "on the command line wins over the variable, which wins over the file, which wins over the "
                + "default. --backend-property takes k=v pairs separated by ; there."})
final class ServeCommand implements Callable<Integer> {

    /** Counted down to stop the running {@code serve} ({@link #stopRunning()}); a fresh one after each stop. */
    private static final AtomicReference<CountDownLatch> STOP = new AtomicReference<>(new CountDownLatch(1));

    @Spec
    CommandSpec spec;

    @Option(names = "--config", paramLabel = "FILE", description = "The configuration file (a Java properties file; "
            + "default: $DISCAGENT_CONFIG, else " + ConfigDefaults.LINUX_FILE + " when it exists).")
    String config;

    @Option(names = "--backend-property", split = ";", splitSynopsisLabel = ";",
            description = "A backend property key=value (repeatable), such as linux.devices=/dev/loop7.")
    Map<String, String> backendProperties = new LinkedHashMap<>();

    @Option(names = "--recorders",
            description = "How many simulated recorders to start with (default 2, or 3 with --demo).")
    Integer recorders;

    @Option(names = "--access-token",
            description = "Required on every API call as 'Authorization: Bearer'.")
    String accessToken;

    @Option(names = "--admin-token",
            description = "Admin actions: closing other sessions, simulator control on non-loopback binds.")
    String adminToken;

    @Option(names = "--log-level", defaultValue = "info", paramLabel = "<level>",
            description = "error, warn, info, debug or trace (debug and trace: discagent's own loggers).")
    LogLevel logLevel;

    @Option(names = "--log-format", defaultValue = "text", paramLabel = "<format>",
            description = "text (one line a record) or json (one JSON object a line).")
    LogFormat logFormat;

    @Option(names = "--demo", description = "Run demo traffic on the simulated recorders (for the status page).")
    boolean demo;

    @Option(names = "--exit-when-ready", description = "Stop as soon as the service is ready: checks that it starts "
            + "with these options (the launcher uses it to record its class-data archive).")
    boolean exitWhenReady;

    /** The command's spec with one option per setting of the agent and of the service. */
    static CommandSpec spec() {
        CommandSpec spec = CommandSpec.forAnnotatedObject(new ServeCommand());
        for (Setting<?, ?, ?> setting : settings()) {
            spec.addOption(OptionSpec.builder("--" + setting.kebabName())
                    .type(setting.type())
                    .paramLabel("<" + setting.kebabName() + ">")
                    .defaultValue(setting.defaultText())
                    .description(setting.description() + " Default ${DEFAULT-VALUE}.")
                    .build());
        }
        return spec;
    }

    private static List<Setting<?, ?, ?>> settings() {
        List<Setting<?, ?, ?>> all = new ArrayList<>(ServiceConfig.settings());
        all.addAll(AgentOptions.settings());
        return all;
    }

    @Override
    public Integer call() throws InterruptedException {
        LoggingSetup.configure(logLevel, logFormat);
        if (spec.commandLine().getDefaultValueProvider() instanceof ConfigDefaults defaults) {
            Set<String> unknown = defaults.unknownKeys(keys(spec));
            if (!unknown.isEmpty()) {
                spec.commandLine().getErr().println("discagent: unknown key" + (unknown.size() == 1 ? " " : "s ")
                        + String.join(", ", unknown) + " in " + defaults.path() + "; the keys are the options' "
                        + "names without dashes: " + String.join(", ", keys(spec)));
                return ExitCode.USAGE.code();
            }
        }
        ServiceConfig built;
        try {
            built = config();
        } catch (InvalidArgumentException e) {
            spec.commandLine().getErr().println("discagent: " + userFacing(e.detailMessage()));
            return ExitCode.USAGE.code();
        }
        DiscService service;
        try {
            service = DiscService.start(built);
        } catch (IllegalStateException e) {
            boolean badInput = e.getCause() instanceof InvalidArgumentException;
            spec.commandLine().getErr().println("discagent: " + (badInput ? userFacing(e.getMessage())
                    : portTaken(e, built) ? "port " + built.port() + " on " + built.host() + " is already in use "
                            + "(another discagent serve, or another program): choose another one with --port (or "
                            + "port= in the configuration file), or stop the other one" : e.getMessage()));
            return badInput ? ExitCode.USAGE.code() : ExitCode.FAILURE.code();
        }
        var out = spec.commandLine().getOut();
        out.println("discagent is serving the " + service.agent().backendName() + " backend at " + service.url()
                + (demo && service.demo().isPresent() ? " with demo traffic" : ""));
        out.println("  status page: " + service.url() + "/");
        out.println("  API:         " + service.url() + "/api/v1/openapi.json");
        if (exitWhenReady) {
            out.flush();
            service.close();
            return ExitCode.OK.code();
        }
        CountDownLatch requested = STOP.get();
        CountDownLatch closed = new CountDownLatch(1);
        Thread hook = new Thread(() -> { // Ctrl-C, SIGTERM: stop, and let the JVM end only once the service closed
            requested.countDown();
            try {
                closed.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "discagent-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        out.println("Press Ctrl-C to stop.");
        out.flush();
        try {
            requested.await();
        } finally {
            service.close(); // closes every session, releasing its drives
            closed.countDown();
            STOP.compareAndSet(requested, new CountDownLatch(1));
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is what stopped it
            }
        }
        return ExitCode.OK.code();
    }

    /**
     * Stops the {@code serve} of this JVM, as Ctrl-C does (the Windows service's stop: {@link WindowsService}). A stop
     * that comes while it is still starting takes effect once it is ready.
     */
    static void stopRunning() {
        STOP.get().countDown();
    }

    /** Whether the service could not start because its port is taken. */
    private static boolean portTaken(Throwable failure, ServiceConfig config) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof BindException || String.valueOf(t.getMessage()).contains("Address already in use")) {
                return config.port() != 0;
            }
        }
        return false;
    }

    /** The configuration from the options: every setting's option, then the options of this command. */
    private ServiceConfig config() {
        ServiceConfig.Builder config = ServiceConfig.builder().accessToken(accessToken).adminToken(adminToken)
                .demo(demo);
        AgentOptions.Builder agent = AgentOptions.builder();
        for (Setting<ServiceConfig.Builder, ServiceConfig, ?> setting : ServiceConfig.settings()) {
            setting.set(config, spec.findOption("--" + setting.kebabName()).getValue());
        }
        for (Setting<AgentOptions.Builder, AgentOptions, ?> setting : AgentOptions.settings()) {
            setting.set(agent, spec.findOption("--" + setting.kebabName()).getValue());
        }
        agent.backendProperties(backendProperties);
        if (recorders != null) {
            agent.backendProperty("simulated.recorders", String.valueOf(recorders));
        } else if (demo && !backendProperties.containsKey("simulated.recorders")) {
            agent.backendProperty("simulated.recorders", "3"); // three recorders for three demo clients
        }
        return config.agent(agent.build()).build();
    }

    /** The configuration keys: one per option that takes its value from the environment and the file. */
    static Set<String> keys(CommandSpec serve) {
        Set<String> keys = new TreeSet<>(List.of("config"));
        serve.options().stream().filter(ConfigDefaults::configurable).forEach(o -> keys.add(ConfigDefaults.key(o)));
        return keys;
    }

    /**
     * The Markdown table of every option of {@code serve}, with its key and variable, for docs/service.md (a test
     * checks it): the settings' options first, in the lists' order, then the command's own.
     */
    static String optionsTable() {
        CommandSpec serve = new picocli.CommandLine(spec()).getCommandSpec();
        StringBuilder table = new StringBuilder("| Option | Key | Environment | Default | Meaning |\n"
                + "| --- | --- | --- | --- | --- |\n");
        List<OptionSpec> options = new ArrayList<>();
        for (Setting<?, ?, ?> setting : settings()) {
            options.add(serve.findOption("--" + setting.kebabName()));
        }
        serve.options().stream().filter(o -> !options.contains(o) && ConfigDefaults.configurable(o))
                .forEach(options::add);
        for (OptionSpec option : options) {
            String key = ConfigDefaults.key(option);
            String meaning = String.join(" ", option.description()).replace(" Default " + option.defaultValue() + ".",
                    "");
            table.append("| `--").append(key).append("` | `").append(key).append("` | `")
                    .append(ConfigDefaults.variable(key)).append("` | ")
                    .append(option.defaultValue() == null || option.defaultValue().isEmpty() ? "" : "`" + option.defaultValue() + "`").append(" | ")
                    .append(meaning).append(" |\n");
        }
        return table.toString();
    }

    /** A validation message in the words of the command line: option names, durations as they are written here. */
    static String userFacing(String message) {
        Map<String, String> options = new LinkedHashMap<>();
        settings().forEach(setting -> options.put(setting.name(), "--" + setting.kebabName()));
        return UserWords.translate(message, options);
    }
}
