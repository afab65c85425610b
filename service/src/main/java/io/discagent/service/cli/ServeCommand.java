package io.discagent.service.cli;

import io.discagent.agent.AgentOptions;
import io.discagent.agent.Setting;
import io.discagent.api.error.InvalidArgumentException;
import io.discagent.service.DiscService;
import io.discagent.service.ServiceConfig;
import io.discagent.service.problem.ExitCode;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code discagent serve}: runs the agent and its HTTP API until Ctrl-C.
 *
 * <p>Its tuning options are not written here: one option per setting of {@link AgentOptions#settings()} and
 * {@link ServiceConfig#settings()} ({@code commandTimeout} becomes {@code --command-timeout}, with the environment
 * variable {@code DISCAGENT_COMMAND_TIMEOUT}, the setting's default and description), so a setting added to either
 * list is an option at once.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Run the agent and its HTTP API (loopback only unless an access token is set).")
final class ServeCommand implements Callable<Integer> {

    private static final Pattern ISO_DURATION = Pattern.compile("\\bPT[0-9.HMS]+\\b");

    @Spec
    CommandSpec spec;

    @Option(names = "--backend-property", description = "A backend property key=value (repeatable).")
    Map<String, String> backendProperties = new LinkedHashMap<>();

    @Option(names = "--recorders",
            description = "How many simulated recorders to start with (default 2, or 3 with --demo).")
    Integer recorders;

    @Option(names = "--access-token", defaultValue = "${env:DISCAGENT_ACCESS_TOKEN}",
            description = "Required on every API call as 'Authorization: Bearer' (env DISCAGENT_ACCESS_TOKEN).")
    String accessToken;

    @Option(names = "--admin-token", defaultValue = "${env:DISCAGENT_ADMIN_TOKEN}",
            description = "Admin actions: closing other sessions, simulator control on non-loopback binds "
                    + "(env DISCAGENT_ADMIN_TOKEN).")
    String adminToken;

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
                    .defaultValue("${env:" + setting.environmentVariable() + ":-" + setting.defaultText() + "}")
                    .description(setting.description() + " Default ${DEFAULT-VALUE}; env "
                            + setting.environmentVariable() + ".")
                    .build());
        }
        return spec;
    }

    private static List<Setting<?, ?, ?>> settings() {
        List<Setting<?, ?, ?>> all = new java.util.ArrayList<>(ServiceConfig.settings());
        all.addAll(AgentOptions.settings());
        return all;
    }

    @Override
    public Integer call() throws InterruptedException {
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
            spec.commandLine().getErr().println("discagent: " + e.getMessage());
            return ExitCode.FAILURE.code();
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
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            service.close();
            stopped.countDown();
        }, "discagent-shutdown"));
        out.println("Press Ctrl-C to stop.");
        out.flush();
        stopped.await();
        return ExitCode.OK.code();
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

    /** The Markdown table of every tuning option of {@code serve}, for docs/service.md (a test checks it). */
    static String optionsTable() {
        StringBuilder table = new StringBuilder("| Option | Environment | Default | Meaning |\n| --- | --- | --- | --- |\n");
        for (Setting<?, ?, ?> setting : settings()) {
            String value = setting.defaultText();
            table.append("| `--").append(setting.kebabName()).append("` | `").append(setting.environmentVariable())
                    .append("` | ").append(value.isEmpty() ? "(none)" : "`" + value + "`").append(" | ")
                    .append(setting.description()).append(" |\n");
        }
        return table.toString();
    }

    /** A validation message in the words of the command line: option names, durations as they are written here. */
    static String userFacing(String message) {
        String text = message;
        for (Setting<?, ?, ?> setting : settings()) {
            text = text.replaceAll("\\b" + setting.name() + "\\b", "--" + setting.kebabName());
        }
        Matcher iso = ISO_DURATION.matcher(text);
        StringBuilder out = new StringBuilder();
        while (iso.find()) {
            String readable;
            try {
                readable = Setting.text(Duration.parse(iso.group()));
            } catch (DateTimeParseException e) {
                readable = iso.group();
            }
            iso.appendReplacement(out, Matcher.quoteReplacement(readable));
        }
        iso.appendTail(out);
        return out.toString();
    }
}
