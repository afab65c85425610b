package io.discagent.api.burn;

import io.discagent.api.error.InvalidArgumentException;
import java.nio.file.Path;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * What to burn and how: an image (required) and the burn's options. Immutable; build with {@link #builder(Path)} or
 * {@link #builder(BurnImage)}.
 *
 * <ul>
 * <li><b>closeDisc</b> (default true): close (finalize) the disc after the image, so every drive reads it; false
 * leaves a write-once disc appendable. An overwritable medium (DVD+RW, BD-RE) has nothing to close.</li>
 * <li><b>verify</b> (default false): read the disc back after writing and compare the SHA-256 of what was read with
 * the image's; a mismatch fails the burn with {@code E_IMAPI_BURN_VERIFICATION_FAILED}.</li>
 * <li><b>writeSpeedKBps</b> (default 0: the drive's fastest): the write speed to ask for, in kilobytes (1000 bytes)
 * per second as MMC counts them: 1x is 176 kB/s for CD, 1385 kB/s for DVD, 4495 kB/s for BD. The drive picks the
 * nearest speed it supports.</li>
 * <li><b>simulate</b> (default false): a test write with the laser off, where the medium and the writer support one
 * (CD-R/RW, DVD-R/RW); elsewhere the burn is refused with {@code BurnNotSupportedException}.</li>
 * </ul>
 */
public final class BurnRequest {

    private final @Nullable Path path;
    private final @Nullable BurnImage image;
    private final boolean closeDisc;
    private final boolean verify;
    private final int writeSpeedKBps;
    private final boolean simulate;

    private BurnRequest(Builder b) {
        this.path = b.path;
        this.image = b.image;
        this.closeDisc = b.closeDisc;
        this.verify = b.verify;
        this.writeSpeedKBps = b.writeSpeedKBps;
        this.simulate = b.simulate;
    }

    /**
     * A request to burn the image file at {@code image}, which the burn opens when it starts and closes at its end.
     *
     * @param image the image file
     * @return a builder with the default options
     * @throws InvalidArgumentException if {@code image} is {@code null}
     */
    public static Builder builder(Path image) {
        return new Builder(InvalidArgumentException.requireNonNull(image, "image"), null);
    }

    /**
     * A request to burn an image the caller opened (and closes after the burn, unless it was made by
     * {@link BurnImage#handOver}, which the burn closes).
     *
     * @param image the open image
     * @return a builder with the default options
     * @throws InvalidArgumentException if {@code image} is {@code null}
     */
    public static Builder builder(BurnImage image) {
        return new Builder(null, InvalidArgumentException.requireNonNull(image, "image"));
    }

    /**
     * The image's path, when the burn opens it itself.
     *
     * @return the path given to {@link #builder(Path)}, or empty for a request built from a {@link BurnImage}
     */
    public Optional<Path> path() {
        return Optional.ofNullable(path);
    }

    /**
     * The image the caller opened, when given so.
     *
     * @return the image given to {@link #builder(BurnImage)}, or empty for a request built from a path
     */
    public Optional<BurnImage> image() {
        return Optional.ofNullable(image);
    }

    /**
     * The image's name in messages.
     *
     * @return its path, or the {@link BurnImage#name() name} of the open image
     */
    public String imageName() {
        return path != null ? path.toString() : image.name();
    }

    /**
     * Whether the disc is closed (finalized) after the image.
     *
     * @return {@code true} (the default) to close it, {@code false} to leave a write-once disc appendable
     */
    public boolean closeDisc() {
        return closeDisc;
    }

    /**
     * Whether the disc is read back and its SHA-256 compared with the image's after writing.
     *
     * @return {@code true} to verify; {@code false} by default
     */
    public boolean verify() {
        return verify;
    }

    /**
     * The write speed asked for.
     *
     * @return the speed in kilobytes (1000 bytes) per second; 0 for the drive's fastest
     */
    public int writeSpeedKBps() {
        return writeSpeedKBps;
    }

    /**
     * Whether this is a test write with the laser off.
     *
     * @return {@code true} for a simulated write; {@code false} by default
     */
    public boolean simulate() {
        return simulate;
    }

    /**
     * A builder that starts from this request.
     *
     * @return a new builder with this request's image and options
     */
    public Builder toBuilder() {
        Builder b = new Builder(path, image);
        b.closeDisc = closeDisc;
        b.verify = verify;
        b.writeSpeedKBps = writeSpeedKBps;
        b.simulate = simulate;
        return b;
    }

    @Override
    public String toString() {
        return "burn " + imageName() + (closeDisc ? ", close" : ", leave appendable") + (verify ? ", verify" : "")
                + (writeSpeedKBps > 0 ? ", " + writeSpeedKBps + " kB/s" : "") + (simulate ? ", simulated" : "");
    }

    /** Builds a {@link BurnRequest}; every setter validates its argument ({@code InvalidArgumentException}). */
    public static final class Builder {

        private final @Nullable Path path;
        private final @Nullable BurnImage image;
        private boolean closeDisc = true;
        private boolean verify;
        private int writeSpeedKBps;
        private boolean simulate;

        private Builder(@Nullable Path path, @Nullable BurnImage image) {
            this.path = path;
            this.image = image;
        }

        /**
         * Close the disc after the image (true, the default) or leave it appendable (false).
         *
         * @param close whether to close the disc
         * @return this builder
         */
        public Builder closeDisc(boolean close) {
            this.closeDisc = close;
            return this;
        }

        /**
         * Read the disc back and compare checksums after writing.
         *
         * @param verify whether to verify (default false)
         * @return this builder
         */
        public Builder verify(boolean verify) {
            this.verify = verify;
            return this;
        }

        /**
         * The write speed in kB/s (0: the drive's fastest).
         *
         * @param kiloBytesPerSecond the speed, 0 to 1000000 kilobytes (1000 bytes) per second
         * @return this builder
         * @throws InvalidArgumentException if the speed is out of that range
         */
        public Builder writeSpeedKBps(int kiloBytesPerSecond) {
            InvalidArgumentException.require(kiloBytesPerSecond >= 0 && kiloBytesPerSecond <= 1_000_000,
                    "writeSpeedKBps must be 0 to 1000000: " + kiloBytesPerSecond);
            this.writeSpeedKBps = kiloBytesPerSecond;
            return this;
        }

        /**
         * A test write with the laser off.
         *
         * @param simulate whether to simulate (default false)
         * @return this builder
         */
        public Builder simulate(boolean simulate) {
            this.simulate = simulate;
            return this;
        }

        /**
         * Builds the request.
         *
         * @return an immutable request with this builder's image and options
         */
        public BurnRequest build() {
            return new BurnRequest(this);
        }
    }
}
