package io.discagent.service.cli;

import io.discagent.service.problem.ExitCode;
import io.discagent.service.DiscService;
import io.discagent.service.ServiceConfig;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code discagent serve}: runs the agent and its HTTP API until Ctrl-C. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Run the agent and its HTTP API (loopback only unless an access token is set).")
final class ServeCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--host", defaultValue = ServiceConfig.DEFAULT_HOST,
            description = "The address to bind (default ${DEFAULT-VALUE}); any non-loopback one needs --access-token.")
    String host;

    @Option(names = "--port", defaultValue = "8731", description = "The port (default ${DEFAULT-VALUE}; 0: any free).")
    int port;

    @Option(names = "--backend", defaultValue = "auto",
            description = "auto (real recorders if any, else simulated), simulated, linux or windows.")
    String backend;

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

    @Option(names = "--session-ttl", defaultValue = "30s",
            description = "A session's lease when it asks for none (default ${DEFAULT-VALUE}).")
    Duration sessionTtl;

    @Option(names = "--max-sessions", defaultValue = "256", description = "Open sessions at most.")
    int maxSessions;

    @Option(names = "--max-pending", defaultValue = "16", description = "Acquires in progress per session at most.")
    int maxPending;

    @Option(names = "--max-body", defaultValue = "16384", description = "The largest request body in bytes.")
    int maxBody;

    @Option(names = "--command-timeout", defaultValue = "10s", description = "How long a native call may take.")
    Duration commandTimeout;

    @Option(names = "--demo", description = "Run demo traffic on the simulated recorders (for the status page).")
    boolean demo;

    @Option(names = "--exit-when-ready", description = "Stop as soon as the service is ready: checks that it starts "
            + "with these options (the launcher uses it to record its class-data archive).")
    boolean exitWhenReady;

    @Override
    public Integer call() throws InterruptedException {
        ServiceConfig.Builder config = ServiceConfig.builder()
                .host(host).port(port).backend(backend)
                .accessToken(accessToken).adminToken(adminToken)
                .sessionTtl(sessionTtl).maxSessions(maxSessions).maxPendingPerSession(maxPending)
                .maxBodyBytes(maxBody).commandTimeout(commandTimeout).demo(demo);
        backendProperties.forEach(config::backendProperty);
        if (recorders != null) {
            config.backendProperty("simulated.recorders", String.valueOf(recorders));
        } else if (demo && !backendProperties.containsKey("simulated.recorders")) {
            config.backendProperty("simulated.recorders", "3"); // three recorders for three demo clients
        }
        ServiceConfig built;
        try {
            built = config.build();
        } catch (IllegalArgumentException e) {
            spec.commandLine().getErr().println("discagent: " + e.getMessage());
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
}
