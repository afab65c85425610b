package io.discagent.service.cli;

import io.discagent.service.problem.ExitCode;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code discagent acquire RID}: opens a session, acquires the recorder, holds it (sending heartbeats) for
 * {@code --hold} or until Ctrl-C, then releases it and closes the session. If this process dies without cleaning
 * up, the session's lease runs out and the agent releases the recorder anyway.
 */
@Command(name = "acquire", mixinStandardHelpOptions = true,
        description = "Acquire a recorder and hold it for a duration or until Ctrl-C, then release it.")
final class AcquireCommand extends ClientCommand {

    @Parameters(paramLabel = "RECORDER", description = "The recorder id, such as sim-0.")
    String recorder;

    @Option(names = "--client-name", defaultValue = "discagent CLI",
            description = "The name others see as the owner (IMAPI2 rule: 1-63 of A-Z a-z 0-9 space . , : ; - _).")
    String clientName;

    @Option(names = "--wait", defaultValue = "0s",
            description = "How long to wait if the recorder is held (FIFO behind other clients); default: fail at once.")
    Duration waitFor;

    @Option(names = "--force", description = "Dismount a mounted file system (IMAPI2 force).")
    boolean force;

    @Option(names = "--hold", description = "How long to hold the recorder (500ms, 30s, 2m); default: until Ctrl-C.")
    Duration hold;

    @Option(names = "--ttl", defaultValue = "30s", description = "The session lease (heartbeats every third of it).")
    Duration ttl;

    @Override
    int run(AgentClient client) {
        JsonObject session = client.call("POST", "/api/v1/sessions",
                new JsonObject().put("clientName", clientName).put("ttlMillis", ttl.toMillis()));
        String sessionId = session.getString("sessionId");
        String token = session.getString("token");
        CountDownLatch stop = new CountDownLatch(1);
        CountDownLatch cleanedUp = new CountDownLatch(1);
        Thread onCtrlC = new Thread(() -> {
            stop.countDown();
            try {
                cleanedUp.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "discagent-acquire-release");
        Runtime.getRuntime().addShutdownHook(onCtrlC);
        try {
            JsonObject grant = client.call("POST", "/api/v1/recorders/" + segment(recorder) + "/acquire",
                    new JsonObject().put("sessionId", sessionId).put("force", force)
                            .put("waitMillis", waitFor.toMillis()), "X-Session-Token", token);
            out().println("acquired " + recorder + " as '" + clientName + "' (lock count "
                    + grant.getInteger("lockCount") + ", session " + sessionId + "); holding "
                    + (hold == null ? "until Ctrl-C" : "for " + Durations.format(hold)));
            out().flush();
            holdWithHeartbeats(client, sessionId, token, stop);
            JsonObject released = client.call("POST", "/api/v1/recorders/" + segment(recorder) + "/release",
                    new JsonObject().put("sessionId", sessionId), "X-Session-Token", token);
            out().println("released " + recorder + " (lock count " + released.getInteger("lockCount") + ")");
            out().flush();
            return ExitCode.OK.code();
        } finally {
            try {
                client.call("DELETE", "/api/v1/sessions/" + segment(sessionId), null, "X-Session-Token", token);
            } catch (AgentClient.Failure ignored) {
                // the lease runs out on its own
            }
            cleanedUp.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(onCtrlC);
            } catch (IllegalStateException shuttingDown) {
                // Ctrl-C: the hook is running
            }
        }
    }

    private void holdWithHeartbeats(AgentClient client, String sessionId, String token, CountDownLatch stop) {
        long heartbeat = Math.max(1, ttl.toMillis() / 3);
        long end = hold == null ? Long.MAX_VALUE : System.nanoTime() + hold.toNanos();
        try {
            while (true) {
                long remaining = end == Long.MAX_VALUE ? heartbeat
                        : TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime());
                if (remaining <= 0 || stop.await(Math.min(heartbeat, remaining), TimeUnit.MILLISECONDS)) {
                    return;
                }
                if (end == Long.MAX_VALUE || end - System.nanoTime() > 0) {
                    client.call("POST", "/api/v1/sessions/" + segment(sessionId) + "/heartbeat", null,
                            "X-Session-Token", token);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
