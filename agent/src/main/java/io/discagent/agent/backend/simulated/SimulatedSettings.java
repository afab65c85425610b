package io.discagent.agent.backend.simulated;

import io.discagent.agent.spi.BackendConfig;
import io.discagent.api.MediaProfile;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/**
 * The simulated backend's properties.
 *
 * @param recorders {@code simulated.recorders} (default 2): how many recorders it starts with
 * @param discDirectory {@code simulated.discDirectory}: where each recorder's disc image file is kept
 *     ({@code <id>.img}); by default a temporary directory made on the first burn and deleted when the JVM exits
 * @param burnSpeed {@code simulated.burnSpeed} (default 5,540,000 bytes/s, 4x DVD): how fast burns write, per
 *     second of the agent's clock
 * @param disc {@code simulated.disc} (default {@code BD-RE}): the kind of blank disc each recorder starts with
 */
public record SimulatedSettings(int recorders, @Nullable Path discDirectory, long burnSpeed, MediaProfile disc) {

    /** The default burn speed: 4x DVD (1x is 1,385,000 bytes/s). */
    public static final long DEFAULT_BURN_SPEED = 5_540_000;

    /** Two recorders with a blank BD-RE each, burning at 4x DVD into a temporary directory. */
    public static final SimulatedSettings DEFAULTS = new SimulatedSettings(2, null, DEFAULT_BURN_SPEED,
            MediaProfile.BD_RE);

    public SimulatedSettings {
        if (recorders < 0) {
            throw new IllegalArgumentException("simulated.recorders must not be negative: " + recorders);
        }
        if (burnSpeed <= 0) {
            throw new IllegalArgumentException("simulated.burnSpeed must be positive: " + burnSpeed);
        }
        if (!disc.recordable()) {
            throw new IllegalArgumentException("simulated.disc must be a recordable kind of disc: " + disc);
        }
    }

    /** The settings of {@code simulated.*} properties. */
    public static SimulatedSettings from(BackendConfig config) {
        String dir = config.get("simulated.discDirectory", "").trim();
        String speed = config.get("simulated.burnSpeed", Long.toString(DEFAULT_BURN_SPEED)).trim();
        long bytesPerSecond;
        try {
            bytesPerSecond = Long.parseLong(speed);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("simulated.burnSpeed is not a number of bytes per second: " + speed);
        }
        return new SimulatedSettings(config.getInt("simulated.recorders", DEFAULTS.recorders()),
                dir.isEmpty() ? null : Path.of(dir), bytesPerSecond,
                MediaProfile.parse(config.get("simulated.disc", DEFAULTS.disc().displayName())));
    }

    /** The same settings with another number of recorders. */
    public SimulatedSettings withRecorders(int count) {
        return new SimulatedSettings(count, discDirectory, burnSpeed, disc);
    }
}
