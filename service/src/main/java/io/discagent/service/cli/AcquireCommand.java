package io.discagent.service.cli;

import io.discagent.service.problem.ExitCode;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code discagent acquire RID}: opens a session, acquires the recorder (waiting in line with {@code --wait}, saying
 * where it stands), holds it for {@code --hold} or until Ctrl-C, then releases it and closes the session; the
 * heartbeats of a {@link ServiceHold} keep the session alive all along. A lost hold (the recorder unplugged, the
 * session closed or expired) is reported the moment it happens and ends the command with its exit code. If this
 * process dies without cleaning up, the session's lease runs out and the service releases the recorder anyway.
 */
@Command(name = "acquire", mixinStandardHelpOptions = true,
        description = {"Acquire a recorder and hold it until Ctrl-C (or for --hold), then release it.",
                "",
                "While it waits in line (--wait) it says where it stands and who holds the recorder. If the hold is "
                + "lost (the recorder removed, the session closed), it says so at once and exits 4 (removed) or 7 "
                + "(session closed, lock gone), or 3 when the service stops answering. Ctrl-C (SIGINT, SIGTERM, "
                + "SIGHUP) releases and exits 0; during the wait it gives up the wait and exits 128 + the signal. To "
                + "hold a recorder while a script or tool runs, use `discagent exec`."})
final class AcquireCommand extends ClientCommand {

    private static final String CLIENT_NAME = "discagent CLI";

    @Parameters(paramLabel = "RECORDER", description = "The recorder id, such as sim-0.")
    String recorder;

    @Mixin
    HoldOptions holding;

    @Option(names = "--force", description = "Dismount a mounted file system (IMAPI2 force).")
    boolean force;

    @Option(names = "--hold", description = "How long to hold the recorder (500ms, 30s, 2m); default: until Ctrl-C.")
    Duration hold;

    @Option(names = "--ttl", defaultValue = "30s", description = "The session lease (heartbeats every sixth of it).")
    Duration ttl;

    @Override
    Map<String, String> apiWords() {
        return ExecCommand.API_WORDS;
    }

    @Override
    int run(AgentClient client) {
        CountDownLatch ended = new CountDownLatch(1); // a stop signal, or the hold was lost
        StopSignals signals = StopSignals.install();
        signals.whenCaught(ended::countDown);
        try (ServiceHold held = ServiceHold.open(client, holding.clientName(CLIENT_NAME), ttl, this::note,
                ended::countDown)) {
            signals.whileWaiting(held);
            try {
                held.acquire(recorder, holding.waitFor, force);
            } catch (AgentClient.Failure failure) {
                if (signals.caught() != 0) {
                    note("gave up waiting for " + recorder);
                    return 128 + signals.caught();
                }
                throw failure;
            }
            signals.whileRunning(null); // from now on a signal ends the hold
            out().println("acquired " + recorder + " as '" + holding.clientName(CLIENT_NAME)
                    + "' (lock count 1); holding "
                    + (hold == null ? "until Ctrl-C" : "for " + Durations.format(hold)));
            out().flush();
            if (hold == null) {
                ended.await();
            } else {
                ended.await(hold.toMillis(), TimeUnit.MILLISECONDS);
            }
            HoldLost lost = held.lost();
            if (lost != null) {
                err().println("discagent: lost " + recorder + ": " + lost.message());
                return lost.exitCode();
            }
            out().println("released " + recorder + " (lock count " + held.release() + ")");
            out().flush();
            return ExitCode.OK.code();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ExitCode.FAILURE.code();
        } finally {
            signals.restore();
        }
    }

    private void note(String text) {
        err().println("discagent: " + text);
        err().flush();
    }
}
