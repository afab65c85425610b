package io.discagent.agent.backend.simulated;

import io.discagent.api.DiscState;
import io.discagent.api.MediaProfile;
import io.discagent.api.error.InvalidArgumentException;
import java.util.Objects;

/**
 * A disc for a simulated recorder: what kind it is, what is on it and how large it is. Put one in with
 * {@link Simulator#insertDisc}; a burn changes its state as a real one would (a write-once disc is closed, or left
 * appendable; a new DVD+RW or BD-RE is formatted first and stays overwritable).
 *
 * @param profile the kind of disc
 * @param state what is written on it
 * @param capacityBytes its size in bytes
 * @param writeProtected whether it refuses writing (a write-protect tab, a disc control block)
 */
public record SimulatedDisc(MediaProfile profile, DiscState state, long capacityBytes, boolean writeProtected) {

    /** The capacity of a CD-R of 80 minutes: 360,000 sectors. */
    public static final long CD_BYTES = 360_000L * 2048;
    /** The capacity of a single-layer DVD: 2,295,104 sectors. */
    public static final long DVD_BYTES = 2_295_104L * 2048;
    /** The capacity of a dual-layer DVD: 4,173,824 sectors. */
    public static final long DVD_DL_BYTES = 4_173_824L * 2048;
    /** The capacity of a single-layer BD: 12,219,392 sectors. */
    public static final long BD_BYTES = 12_219_392L * 2048;

    public SimulatedDisc {
        Objects.requireNonNull(profile, "profile");
        Objects.requireNonNull(state, "state");
        if (capacityBytes < 0 || capacityBytes % 2048 != 0) {
            throw new InvalidArgumentException("the capacity must be a whole number of 2048-byte sectors: "
                    + capacityBytes);
        }
        if (state == DiscState.NO_DISC || state == DiscState.UNKNOWN) {
            throw new InvalidArgumentException("a disc is blank, appendable, closed or overwritable: " + state);
        }
    }

    /** A blank disc of this kind, of its usual capacity (a DVD+RW or BD-RE that still needs formatting). */
    public static SimulatedDisc blank(MediaProfile profile) {
        return blank(profile, usualCapacity(profile));
    }

    /** A blank disc of this kind and capacity: a small one makes an image too large for it. */
    public static SimulatedDisc blank(MediaProfile profile, long capacityBytes) {
        return new SimulatedDisc(profile, DiscState.BLANK, capacityBytes, false);
    }

    /** A disc of this kind that was written and closed (a write-once disc nothing more can be written to). */
    public static SimulatedDisc closed(MediaProfile profile) {
        return new SimulatedDisc(profile, DiscState.CLOSED, usualCapacity(profile), false);
    }

    /** The usual capacity of a kind of disc. */
    public static long usualCapacity(MediaProfile profile) {
        return switch (profile) {
            case CD_ROM, CD_R, CD_RW -> CD_BYTES;
            case DVD_DASH_R_DL, DVD_PLUS_R_DL, DVD_PLUS_RW_DL -> DVD_DL_BYTES;
            case BD_ROM, BD_R, BD_RE -> BD_BYTES;
            default -> DVD_BYTES;
        };
    }

    /** Whether a burn on this kind of disc simulates (laser off) when asked: CD-R/RW and DVD-R/RW can. */
    boolean supportsSimulation() {
        return switch (profile) {
            case CD_R, CD_RW, DVD_DASH_R, DVD_DASH_RW, DVD_DASH_R_DL -> true;
            default -> false;
        };
    }

    /** Whether a burn formats it first (a blank DVD+RW or BD-RE). */
    boolean needsFormatting() {
        return state == DiscState.BLANK && (profile == MediaProfile.DVD_PLUS_RW || profile == MediaProfile.BD_RE
                || profile == MediaProfile.DVD_PLUS_RW_DL);
    }

    /** The same disc in another state. */
    SimulatedDisc with(DiscState newState) {
        return new SimulatedDisc(profile, newState, capacityBytes, writeProtected);
    }
}
