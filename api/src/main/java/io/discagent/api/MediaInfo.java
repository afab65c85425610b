package io.discagent.api;

import io.discagent.api.error.InvalidArgumentException;
import java.util.List;

/**
 * The medium in a recorder, and what the recorder can write: what a kiosk shows before it burns ("DVD+R, blank,
 * 4.7 GB free") and what the agent checks before it starts a burn. Read by the backend from the drive (Linux: GET
 * CONFIGURATION, READ DISC INFORMATION, READ TRACK INFORMATION, READ CAPACITY; Windows: {@code IDiscFormat2Data} and
 * {@code IDiscRecorder2}); {@link io.discagent.api.RecorderAgent#media} reads it, and every
 * {@link io.discagent.api.event.MediaChangedEvent} carries it as read right after the change.
 *
 * @param tray the tray
 * @param profile the medium in the drive ({@link MediaProfile#NONE} without one)
 * @param disc what is written on it
 * @param writable whether an image can be burned on it now: a medium the drive can record, blank or overwritable,
 *     not write-protected
 * @param capacityBytes the size of the medium in bytes (0 when unknown or without a medium)
 * @param freeBytes how many bytes an image may have: the whole medium when blank or overwritable, 0 when closed
 * @param writeProfiles the kinds of medium the drive can write (empty when unknown)
 * @param detail how the backend learned it, or why it could not ({@code "simulated"}, the failing command), for logs
 */
public record MediaInfo(TrayState tray, MediaProfile profile, DiscState disc, boolean writable, long capacityBytes,
        long freeBytes, List<MediaProfile> writeProfiles, String detail) {

    /** The sector size of data discs. */
    public static final int SECTOR = 2048;

    /**
     * Checks the description and copies {@code writeProfiles}.
     *
     * @param tray the tray
     * @param profile the medium in the drive ({@link MediaProfile#NONE} without one)
     * @param disc what is written on it
     * @param writable whether an image can be burned on it now
     * @param capacityBytes the size of the medium in bytes (0 when unknown or without a medium)
     * @param freeBytes how many bytes an image may have
     * @param writeProfiles the kinds of medium the drive can write (empty when unknown)
     * @param detail how the backend learned it, or why it could not
     * @throws InvalidArgumentException if a component is {@code null} or a byte count is negative
     */
    public MediaInfo {
        InvalidArgumentException.requireNonNull(tray, "tray");
        InvalidArgumentException.requireNonNull(profile, "profile");
        InvalidArgumentException.requireNonNull(disc, "disc");
        InvalidArgumentException.require(capacityBytes >= 0 && freeBytes >= 0, "capacities must not be negative");
        writeProfiles = List.copyOf(InvalidArgumentException.requireNonNull(writeProfiles, "writeProfiles"));
        InvalidArgumentException.requireNonNull(detail, "detail");
    }

    /**
     * What a backend that cannot read media reports.
     *
     * @param detail why it could not, for logs
     * @return a description with an unknown tray, profile and disc, not writable, without capacities or write
     *     profiles
     */
    public static MediaInfo unknown(String detail) {
        return new MediaInfo(TrayState.UNKNOWN, MediaProfile.UNKNOWN, DiscState.UNKNOWN, false, 0, 0, List.of(),
                detail);
    }

    /**
     * An empty drive.
     *
     * @param tray the tray
     * @param writeProfiles the kinds of medium the drive can write (empty when unknown)
     * @param detail how the backend learned it, for logs
     * @return a description with profile {@link MediaProfile#NONE}, disc {@link DiscState#NO_DISC}, not writable,
     *     without capacities
     */
    public static MediaInfo noMedium(TrayState tray, List<MediaProfile> writeProfiles, String detail) {
        return new MediaInfo(tray, MediaProfile.NONE, DiscState.NO_DISC, false, 0, 0, writeProfiles, detail);
    }

    /**
     * Whether a medium is in the drive.
     *
     * @return {@code true} unless the disc is {@link DiscState#NO_DISC} or the profile is {@link MediaProfile#NONE}
     */
    public boolean hasMedium() {
        return disc != DiscState.NO_DISC && profile != MediaProfile.NONE;
    }

    /**
     * Whether the backend could tell what is in the drive.
     *
     * @return {@code false} when the disc state is {@link DiscState#UNKNOWN}
     */
    public boolean isKnown() {
        return disc != DiscState.UNKNOWN;
    }

    /**
     * A short description, for logs and status lines.
     *
     * @return the profile, the disc state and the free bytes (or {@code not writable}), such as
     *     {@code "DVD+R, blank, 4700372992 bytes free"}; {@code "tray open"}, {@code "no disc"} or
     *     {@code "medium unknown"} without a medium
     */
    public String describe() {
        if (!hasMedium()) {
            return tray == TrayState.OPEN ? "tray open" : disc == DiscState.UNKNOWN ? "medium unknown" : "no disc";
        }
        return profile.displayName() + ", " + disc.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ')
                + (writable ? ", " + freeBytes + " bytes free" : ", not writable");
    }
}
