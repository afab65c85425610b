package io.discagent.service.cli;

import io.discagent.service.problem.ExitCode;
import io.discagent.service.problem.ProblemKind;
import io.discagent.api.error.AccessDeniedException;
import io.discagent.api.error.InvalidClientNameException;
import io.discagent.api.error.RecorderException;
import io.discagent.api.error.RecorderRemovedException;
import io.discagent.api.error.VolumeMountedException;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code discagent exec [options] -- COMMAND...}: like {@code flock(1)}, for drives. Acquires a recorder (waiting in
 * line with {@code --wait}), runs the command with the held drive's paths in its environment, forwards the signals
 * {@code exec} receives to it, releases the recorder when it ends and exits with its status.
 *
 * <ul>
 * <li><b>Through a running service</b> (the default, at {@code --url}): a session whose lease is kept alive by
 * heartbeats while the command runs (and while the acquire waits). If the heartbeats stop reaching the service for
 * half the lease, or the service no longer holds the recorder for the session, the command is stopped before the
 * lease could end. When no {@code --url} is given (nor {@code DISCAGENT_URL}, nor {@code url=} in the configuration
 * file) and no service answers at the default address, {@code exec} holds the drive itself, as with
 * {@code --standalone}.</li>
 * <li><b>Standalone</b> ({@code --standalone}): an agent inside the {@code exec} process holds the drive; the kernel
 * drops the claim when {@code exec} ends, however it ends.</li>
 * </ul>
 * The command is started through {@code setpriv --pdeathsig KILL} ({@link ExecChild}): it dies with {@code exec}, so
 * it never runs without the hold. The hold refuses every exclusive open of the drive, the command's own as well:
 * burning tools must run in their non-exclusive mode on {@code $DISCAGENT_DEVICE} ({@code xorriso -drive_access
 * shared:unrestricted}, {@code cdrskin --drive_not_exclusive}); a command that fails finding the drive busy gets a
 * hint ({@link ExecHints}).
 */
@Command(name = "exec", mixinStandardHelpOptions = true,
        description = {"Hold a recorder while a command runs, like flock(1) for drives: acquire it (waiting in line "
                + "with --wait), run COMMAND with the drive's paths in its environment, forward signals, release it "
                + "when COMMAND ends and exit with its status.",
                "",
                "The hold refuses every exclusive open of the drive, COMMAND's own as well: run burning tools in their "
                + "shared mode on the held drive, e.g.",
                "  discagent exec -- xorriso -drive_access shared:unrestricted -outdev {device} -toc",
                "  discagent exec -- cdrskin --drive_not_exclusive dev={device} -v -eject",
                "",
                "COMMAND's environment: DISCAGENT_RECORDER (sr0), DISCAGENT_DEVICE (/dev/sr0), DISCAGENT_SG_DEVICE "
                + "(/dev/sg0, held closed by the claim), DISCAGENT_DEVICE_PATHS (all of them), "
                + "DISCAGENT_CLIENT_NAME, DISCAGENT_SESSION (with a service). {device} and {sg} in COMMAND's "
                + "arguments are replaced by the same paths."},
        footer = {"", "Exit status: COMMAND's (128 + the signal that ended it). When the hold is lost while COMMAND "
                + "runs, exec stops COMMAND and exits 4 (the recorder was removed), 7 (the session was closed or no "
                + "longer holds the recorder) or 3 (the service stopped answering heartbeats). When COMMAND does not "
                + "run, the discagent exit codes (5 busy, 3 no service at an explicit --url, 4 no such recorder, "
                + "...)."})
final class ExecCommand implements Callable<Integer> {

    private static final String CLIENT_NAME = "discagent exec";

    /** The agent's loggers (System.Logger goes to java.util.logging), held so that the level set here sticks. */
    private static final java.util.logging.Logger AGENT_LOG = java.util.logging.Logger.getLogger("io.discagent");

    /** How long a command that has to stop gets after SIGTERM before SIGKILL. */
    private static final Duration GRACE = Duration.ofSeconds(5);
    private static final Duration TICK = Duration.ofMillis(200);

    /** The options of the API's fields, for the service's messages ({@link UserWords}). */
    static final Map<String, String> API_WORDS = Map.of("waitMillis", "--wait", "ttlMillis", "--ttl",
            "clientName", "--client-name", "force", "--force");

    @Spec
    CommandSpec spec;

    @Mixin
    ClientOptions options;

    @Option(names = "--recorder", paramLabel = "RECORDER",
            description = "The recorder to hold (sr0); default: the only one there is.")
    String recorder;

    @Mixin
    HoldOptions holding;

    @Option(names = "--force", description = "Dismount a mounted file system (IMAPI2 force).")
    boolean force;

    @Option(names = "--standalone", description = "Hold the drive with an agent inside this process, not a service.")
    boolean standalone;

    @Option(names = "--backend", defaultValue = "auto",
            description = "The backend of a standalone hold: auto (default), linux, simulated.")
    String backend;

    @Option(names = "--backend-property", description = "A backend property key=value for a standalone hold.")
    Map<String, String> backendProperties = new LinkedHashMap<>();

    @Option(names = "--ttl", defaultValue = "30s",
            description = "The session lease with a service; heartbeats go every sixth of it.")
    java.time.Duration ttl;

    @Option(names = {"-v", "--verbose"}, description = "Say what is held, and how; show the agent's log.")
    boolean verbose;

    @Parameters(arity = "1..*", paramLabel = "COMMAND", description = "The command and its arguments (after --).")
    List<String> command = new ArrayList<>();

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        if (!ExecChild.canStart()) {
            err.println("discagent exec: setpriv (util-linux) is needed, to make the command die with exec");
            return ExitCode.FAILURE.code();
        }
        StopSignals signals = StopSignals.install();
        java.util.logging.Level agentLogLevel = AGENT_LOG.getLevel();
        if (!verbose) {
            // a standalone agent's notes (the tool's own tray unlocks among them) would mix with the tool's output
            AGENT_LOG.setLevel(java.util.logging.Level.SEVERE);
        }
        try {
            return holdAndRun(err, signals);
        } finally {
            AGENT_LOG.setLevel(agentLogLevel);
            signals.restore();
        }
    }

    private int holdAndRun(PrintWriter err, StopSignals signals) {
        RecorderHold hold;
        try {
            hold = open(err);
        } catch (AgentClient.Failure failure) {
            err.println("discagent exec: " + failure.getMessage());
            return failure.exitCode;
        } catch (RecorderException e) {
            err.println("discagent exec: " + describe(e));
            return exitCode(e);
        }
        signals.whileWaiting(hold);
        try {
            hold.acquire(recorder, holding.waitFor, force);
        } catch (AgentClient.Failure failure) {
            hold.close();
            return signals.caught() != 0 ? 128 + signals.caught() : report(err, failure.getMessage(),
                    failure.exitCode);
        } catch (RecorderException e) {
            hold.close();
            return signals.caught() != 0 ? 128 + signals.caught() : report(err, describe(e), exitCode(e));
        }
        try {
            if (signals.caught() != 0) {
                return 128 + signals.caught();
            }
            return run(err, hold, signals);
        } finally {
            hold.close();
        }
    }

    private int run(PrintWriter err, RecorderHold hold, StopSignals signals) {
        List<String> paths = hold.devicePaths();
        Map<String, String> environment = environment(hold);
        List<String> line = substitute(command, environment);
        if (verbose) {
            err.println("discagent exec: holding " + hold.recorder() + " " + paths + " as '"
                    + holding.clientName(CLIENT_NAME) + "'"
                    + (hold.session() == null ? " (standalone)" : " (session " + hold.session() + ")") + "; running "
                    + line);
            err.flush();
        }
        ExecChild child;
        try {
            child = ExecChild.start(line, environment, err);
        } catch (IOException e) {
            return report(err, "cannot run " + line + ": " + e.getMessage(), ExitCode.FAILURE.code());
        }
        signals.whileRunning(child);
        try {
            HoldLost lost = null;
            while (!child.waitFor(TICK)) {
                child.watchDescendants();
                if (lost == null && hold.lost() != null) {
                    lost = hold.lost();
                    err.println("discagent exec: " + lost.message() + "; stopping the command");
                    err.flush();
                    child.stop(GRACE);
                }
            }
            // a command stopped because the hold was lost ends with the code that says why, not with its signal
            int status = lost != null ? lost.exitCode() : child.exitStatus();
            signals.whileRunning(null);
            int leftovers = child.killLeftovers();
            if (leftovers > 0 && verbose) {
                err.println("discagent exec: killed " + leftovers + " process(es) the command left running");
            }
            String hint = ExecHints.forFailure(command, status, child.errorOutput(), paths);
            if (hint != null) {
                err.println(hint);
            }
            err.flush();
            return status;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            child.signal(ExecChild.SIGKILL);
            return ExitCode.FAILURE.code();
        }
    }

    /** Through the service at {@code --url}, or standalone. */
    private RecorderHold open(PrintWriter err) {
        if (!standalone) {
            AgentClient client = options.client().words(API_WORDS);
            boolean explicit = spec.commandLine().getParseResult().hasMatchedOption("--url")
                    || configured(spec.findOption("--url")); // DISCAGENT_URL, or url= in the configuration file
            try {
                return ServiceHold.open(client, holding.clientName(CLIENT_NAME), ttl, place -> {
                    err.println("discagent exec: " + place);
                    err.flush();
                }, () -> { });
            } catch (AgentClient.Failure failure) {
                if (explicit || failure.exitCode != ExitCode.UNREACHABLE.code()) {
                    throw failure;
                }
                err.println("discagent exec: no service at " + options.url + "; holding the drive standalone");
                err.flush();
            }
        }
        return EmbeddedHold.open(backend, backendProperties, holding.clientName(CLIENT_NAME));
    }

    /** Whether the environment or the configuration file gives the option a value. */
    private boolean configured(OptionSpec option) {
        try {
            var provider = spec.commandLine().getDefaultValueProvider();
            return provider != null && provider.defaultValue(option) != null;
        } catch (Exception e) {
            return false;
        }
    }

    /** The command's environment additions: the held drive's paths. */
    private Map<String, String> environment(RecorderHold hold) {
        Map<String, String> environment = new LinkedHashMap<>();
        List<String> paths = hold.devicePaths();
        environment.put("DISCAGENT_RECORDER", hold.recorder());
        environment.put("DISCAGENT_CLIENT_NAME", holding.clientName(CLIENT_NAME));
        if (!paths.isEmpty()) {
            environment.put("DISCAGENT_DEVICE", paths.get(0));
        }
        environment.put("DISCAGENT_DEVICE_PATHS", String.join(" ", paths));
        paths.stream().filter(p -> p.matches("/dev/sg\\d+")).findFirst()
                .ifPresent(sg -> environment.put("DISCAGENT_SG_DEVICE", sg));
        if (hold.session() != null) {
            environment.put("DISCAGENT_SESSION", hold.session());
        }
        return environment;
    }

    /** {@code {device}} and {@code {sg}} in the arguments become the held drive's paths. */
    static List<String> substitute(List<String> command, Map<String, String> environment) {
        List<String> line = new ArrayList<>(command.size());
        for (String argument : command) {
            line.add(argument.replace("{device}", environment.getOrDefault("DISCAGENT_DEVICE", "{device}"))
                    .replace("{sg}", environment.getOrDefault("DISCAGENT_SG_DEVICE", "{sg}")));
        }
        return line;
    }

    private static int report(PrintWriter err, String message, int exitCode) {
        err.println("discagent exec: " + message);
        return exitCode;
    }

    private static String describe(RecorderException e) {
        return e.detailMessage() + " [" + e.hresult().hex() + " " + e.hresult().name() + "]"
                + e.owner().map(o -> " owner: " + o).orElse("");
    }

    /** The same exit codes the client commands give for the same failures through the service: the kind's. */
    static int exitCode(RecorderException e) {
        return ProblemKind.of(e).exitCode().code();
    }
}
