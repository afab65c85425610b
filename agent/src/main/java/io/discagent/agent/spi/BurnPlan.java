package io.discagent.agent.spi;

import io.discagent.api.MediaInfo;
import java.util.Objects;

/**
 * What a backend is asked to burn: the image and the options of the request, and the medium as the agent read it
 * when the burn started (it already checked that the medium is writable and large enough).
 *
 * @param recorder the recorder's id
 * @param clientName the client name of the session that burns (IMAPI2's {@code put_ClientName})
 * @param source the image, read through the agent
 * @param media the medium as read when the burn started
 * @param closeDisc close (finalize) the disc after the image, or leave it appendable
 * @param simulate a test write with the laser off
 * @param writeSpeedKBps the write speed to ask for in kB/s, 0 for the drive's fastest
 * @param verify whether the burn is verified: a backend that verifies itself
 *     ({@code BackendRecorder.verifiesWhileBurning}) does it; for the others the agent reads the disc back afterwards
 */
public record BurnPlan(String recorder, String clientName, BurnSource source, MediaInfo media, boolean closeDisc,
        boolean simulate, int writeSpeedKBps, boolean verify) {

    public BurnPlan {
        Objects.requireNonNull(recorder, "recorder");
        Objects.requireNonNull(clientName, "clientName");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(media, "media");
    }
}
