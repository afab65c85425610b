package io.discagent.api.burn;

import io.discagent.api.MediaProfile;
import io.discagent.api.error.InvalidArgumentException;
import java.time.Duration;

/**
 * How a successful burn ended.
 *
 * @param bytesWritten the bytes of the image written (the image's size)
 * @param duration from the start of the burn to its end (verification included)
 * @param sha256 the SHA-256 of the image as it was read for writing, in lower-case hexadecimal
 * @param verified whether the disc was read back and its checksum matched {@code sha256}
 * @param closed whether the disc was closed (finalized); false when it was left appendable, or when the medium has
 *     nothing to close (an overwritable DVD+RW or BD-RE)
 * @param simulated whether it was a simulation (laser off): nothing was written
 * @param profile the medium written
 */
public record BurnResult(long bytesWritten, Duration duration, String sha256, boolean verified, boolean closed,
        boolean simulated, MediaProfile profile) {

    /**
     * Checks the result.
     *
     * @param bytesWritten the bytes of the image written
     * @param duration from the start of the burn to its end
     * @param sha256 the SHA-256 of the image, in lower-case hexadecimal
     * @param verified whether the disc was read back and its checksum matched
     * @param closed whether the disc was closed (finalized)
     * @param simulated whether it was a simulation (laser off)
     * @param profile the medium written
     * @throws InvalidArgumentException if {@code bytesWritten} is negative or {@code duration}, {@code sha256} or
     *     {@code profile} is {@code null}
     */
    public BurnResult {
        InvalidArgumentException.require(bytesWritten >= 0, "bytesWritten must not be negative");
        InvalidArgumentException.requireNonNull(duration, "duration");
        InvalidArgumentException.requireNonNull(sha256, "sha256");
        InvalidArgumentException.requireNonNull(profile, "profile");
    }
}
