package io.discagent.agent.backend.linux;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The guest's way to ask the host for a physical event (eject, media change, unplug, replug): it creates
 * {@code req-NN-action.label} in the job share and waits until the host writes {@code ack-NN-action.label} with what
 * QEMU answered.
 */
public final class HostSteps {

    private static final Duration LIMIT = Duration.ofSeconds(60);

    private final Path job;
    private final GuestTranscript transcript;
    private int step;

    public HostSteps(Path job, GuestTranscript transcript) {
        this.job = job;
        this.transcript = transcript;
    }

    /** Asks for {@code action.label} and returns the host's one-line answer. */
    public String ask(String actionAndLabel) {
        String name = String.format("%02d-%s", ++step, actionAndLabel);
        Path ack = job.resolve("ack-" + name);
        try {
            transcript.log("-> host " + actionAndLabel);
            Files.createFile(job.resolve("req-" + name));
            if (!Shell.await(LIMIT, () -> Files.exists(ack))) { // the host process answers
                throw new IllegalStateException("the host did not answer " + name + " within " + LIMIT);
            }
            String answer = Files.readString(ack).trim();
            transcript.log("<- host " + actionAndLabel + ": " + answer);
            return answer;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
