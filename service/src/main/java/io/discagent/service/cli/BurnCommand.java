package io.discagent.service.cli;

import io.discagent.api.error.RecorderExceptions;
import io.discagent.service.problem.ExitCode;
import io.discagent.service.problem.ProblemKind;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code discagent burn IMAGE}: opens a session, acquires the recorder (waiting in line with {@code --wait}), has the
 * service burn the image ({@code POST /api/v1/recorders/{rid}/burns}: the image must lie in the service's burn
 * directory), follows the burn's progress ({@code GET /api/v1/burns/{bid}} four times a second) with a live progress
 * bar on a terminal and plain lines otherwise, then releases the recorder and closes the session. Ctrl-C cancels the
 * burn (the service stops the writer before the recorder passes on) and exits 128 + the signal; a burn that fails
 * exits with the code of its problem type (a medium error: 8, a medium that cannot take the image: 7).
 */
@Command(name = "burn", mixinStandardHelpOptions = true,
        description = {"Burn an image on a recorder, with live progress, then release it.",
                "",
                "The image must lie inside the service's burn directory (serve --burn-directory). On a terminal the "
                + "progress is a bar with percent, speed and time left; otherwise one line per phase and per tenth "
                + "written. Ctrl-C cancels the burn: a write-once disc is then partly written and, in practice, "
                + "useless. Exit codes: 0 burned (and verified with --verify), 7 the medium cannot take the image, "
                + "8 the burn failed (medium error, hung write), 4 the recorder was removed."})
final class BurnCommand extends ClientCommand {

    private static final String CLIENT_NAME = "discagent burn";

    private static final long POLL_MILLIS = 250;

    @Parameters(paramLabel = "IMAGE", description = "The image file (ISO 9660 or UDF, whole 2048-byte sectors).")
    Path image;

    @Option(names = "--recorder", description = "The recorder id; default: the only one the service has.")
    @Nullable String recorder;

    @Mixin
    HoldOptions holding;

    @Option(names = "--verify", description = "Read the disc back and compare its SHA-256 with the image's.")
    boolean verify;

    @Option(names = "--no-close", description = "Leave the disc appendable instead of closing it.")
    boolean noClose;

    @Option(names = "--speed", defaultValue = "0", description = "Write speed in KB/s; default: the drive's fastest.")
    int speedKBps;

    @Option(names = "--simulate", description = "A test write with the laser off, where the medium and backend can.")
    boolean simulate;

    @Option(names = "--progress", defaultValue = "auto",
            description = "bar, lines or auto (a bar on a terminal, lines otherwise).")
    String progress;

    @Option(names = "--ttl", defaultValue = "30s", description = "The session lease (heartbeats every sixth of it).")
    Duration ttl;

    @Override
    Map<String, String> apiWords() {
        return Map.of("image", "IMAGE", "verify", "--verify", "closeDisc", "--no-close", "writeSpeedKBps", "--speed",
                "simulate", "--simulate", "waitMillis", "--wait");
    }

    @Override
    int run(AgentClient client) {
        boolean bar = switch (progress) {
            case "bar" -> true;
            case "lines" -> false;
            case "auto" -> System.console() != null;
            default -> throw new AgentClient.Failure(ExitCode.USAGE.code(), "--progress is bar, lines or auto, not '"
                    + progress + "'");
        };
        CountDownLatch ended = new CountDownLatch(1); // a stop signal, or the hold was lost
        StopSignals signals = StopSignals.install();
        signals.whenCaught(ended::countDown);
        try (ServiceHold held = ServiceHold.open(client, holding.clientName(CLIENT_NAME), ttl, this::note,
                ended::countDown)) {
            signals.whileWaiting(held);
            try {
                held.acquire(recorder, holding.waitFor, false);
            } catch (AgentClient.Failure failure) {
                if (signals.caught() != 0) {
                    note("gave up waiting for " + (recorder == null ? "the recorder" : recorder));
                    return 128 + signals.caught();
                }
                throw failure;
            }
            signals.whileRunning(null); // from now on a signal cancels the burn
            String id = held.recorder();
            JsonObject started = held.callAsSession("POST", "/api/v1/recorders/" + segment(id) + "/burns",
                    new JsonObject().put("image", image.toAbsolutePath().normalize().toString())
                            .put("verify", verify).put("closeDisc", !noClose).put("writeSpeedKBps", speedKBps)
                            .put("simulate", simulate));
            String burnId = started.getString("burnId");
            out().println("burning " + started.getString("image") + " on " + id + " (" + burnId + ")");
            out().flush();
            BurnView view = bar ? new BurnView.Bar(out()) : new BurnView.Lines(out());
            JsonObject burn = started;
            boolean cancelled = false;
            while ("RUNNING".equals(burn.getString("state"))) {
                view.show(burn.getJsonObject("progress"));
                ended.await(POLL_MILLIS, TimeUnit.MILLISECONDS);
                if (signals.caught() != 0 && !cancelled) {
                    cancelled = true;
                    note("cancelling " + burnId);
                    burn = held.callAsSession("POST", "/api/v1/burns/" + segment(burnId) + "/cancel",
                            new JsonObject());
                } else if (held.lost() != null) {
                    break; // the burn ends with the hold (the recorder removed, the session closed)
                } else {
                    burn = client.call("GET", "/api/v1/burns/" + segment(burnId), null);
                }
            }
            view.show(burn.getJsonObject("progress"));
            view.end();
            return finish(held, burn, signals.caught());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ExitCode.FAILURE.code();
        } finally {
            signals.restore();
        }
    }

    /** Says how the burn ended, releases the recorder, and gives the exit code. */
    private int finish(ServiceHold held, JsonObject burn, int signal) {
        HoldLost lost = held.lost();
        String state = burn.getString("state");
        if ("SUCCEEDED".equals(state)) {
            JsonObject result = burn.getJsonObject("progress", new JsonObject()).getJsonObject("result",
                    new JsonObject());
            out().println("burned " + result.getLong("bytesWritten", 0L) + " bytes in "
                    + Durations.format(Duration.ofMillis(result.getLong("durationMillis", 0L)))
                    + (result.getBoolean("verified", false) ? ", verified" : "")
                    + (result.getBoolean("closed", false) ? ", disc closed" : ", disc left appendable")
                    + "; SHA-256 " + result.getString("sha256"));
        } else if ("CANCELLED".equals(state)) {
            err().println("discagent: burn " + burn.getString("burnId") + " cancelled");
        } else if (lost == null) {
            err().println("discagent: burn " + burn.getString("burnId") + " failed: " + describe(burn));
        }
        if (lost != null) {
            err().println("discagent: lost " + held.recorder() + ": " + lost.message());
            return lost.exitCode();
        }
        out().println("released " + held.recorder() + " (lock count " + held.release() + ")");
        out().flush();
        if (signal != 0) {
            return 128 + signal;
        }
        return switch (state) {
            case "SUCCEEDED" -> ExitCode.OK.code();
            case "FAILED" -> exitCodeOf(burn.getJsonObject("error", new JsonObject()));
            default -> ExitCode.FAILURE.code();
        };
    }

    private static String describe(JsonObject burn) {
        JsonObject error = burn.getJsonObject("error", new JsonObject());
        String text = error.getString("hresult", "?") + " " + error.getString("hresultName", "") + ": "
                + error.getString("detail", "");
        String nativeDetail = error.getString("nativeDetail");
        return nativeDetail == null ? text : text + " [" + nativeDetail + "]";
    }

    /** The exit code of a burn's error: that of the problem type its HRESULT stands for. */
    static int exitCodeOf(JsonObject error) {
        String hresult = error.getString("hresult");
        if (hresult == null || !hresult.startsWith("0x")) {
            return ExitCode.RECORDER_FAILURE.code();
        }
        int code = Integer.parseUnsignedInt(hresult.substring(2), 16);
        return ProblemKind.of(RecorderExceptions.create(code, error.getString("detail", ""), null)).exitCode().code();
    }

    private void note(String text) {
        err().println("discagent: " + text);
        err().flush();
    }
}
