package io.discagent.api;

/**
 * The kind of medium in a drive (or a kind a drive can handle): the MMC profile the drive reports in GET
 * CONFIGURATION, with IMAPI2's {@code IMAPI_MEDIA_PHYSICAL_TYPE} for the same medium. Several MMC profiles fold
 * into one constant where they differ only in how the drive records them (DVD-RW restricted overwrite and sequential,
 * BD-R sequential and random).
 */
public enum MediaProfile {

    /** No medium, or the drive does not say. */
    NONE(0x0000, 0, false, false, "none"),
    /** CD-ROM (MMC profile 0x08): read only. */
    CD_ROM(0x0008, 1, false, false, "CD-ROM"),
    /** CD-R (0x09): write once. */
    CD_R(0x0009, 2, true, false, "CD-R"),
    /** CD-RW (0x0A): rewritable after blanking. */
    CD_RW(0x000A, 3, true, true, "CD-RW"),
    /** DVD-ROM (0x10): read only. */
    DVD_ROM(0x0010, 4, false, false, "DVD-ROM"),
    /** DVD-R, sequential recording (0x11): write once. */
    DVD_DASH_R(0x0011, 9, true, false, "DVD-R"),
    /** DVD-RAM (0x12): rewritable. */
    DVD_RAM(0x0012, 5, true, true, "DVD-RAM"),
    /** DVD-RW, restricted overwrite (0x13) or sequential (0x14). */
    DVD_DASH_RW(0x0013, 10, true, true, "DVD-RW"),
    /** DVD-R dual layer, sequential (0x15) or layer jump (0x16). */
    DVD_DASH_R_DL(0x0015, 11, true, false, "DVD-R DL"),
    /** DVD+RW (0x1A): rewritable, overwritten in place. */
    DVD_PLUS_RW(0x001A, 7, true, true, "DVD+RW"),
    /** DVD+R (0x1B): write once. */
    DVD_PLUS_R(0x001B, 6, true, false, "DVD+R"),
    /** DVD+RW dual layer (0x2A): rewritable. */
    DVD_PLUS_RW_DL(0x002A, 13, true, true, "DVD+RW DL"),
    /** DVD+R dual layer (0x2B): write once. */
    DVD_PLUS_R_DL(0x002B, 8, true, false, "DVD+R DL"),
    /** BD-ROM (0x40): read only. */
    BD_ROM(0x0040, 17, false, false, "BD-ROM"),
    /** BD-R, sequential (0x41) or random recording (0x42). */
    BD_R(0x0041, 18, true, false, "BD-R"),
    /** BD-RE (0x43): rewritable. */
    BD_RE(0x0043, 19, true, true, "BD-RE"),
    /** A medium the drive reports with a profile this list does not know. */
    UNKNOWN(0xFFFF, 0, false, false, "unknown");

    private final int mmcProfile;
    private final int imapiType;
    private final boolean recordable;
    private final boolean rewritable;
    private final String displayName;

    MediaProfile(int mmcProfile, int imapiType, boolean recordable, boolean rewritable, String displayName) {
        this.mmcProfile = mmcProfile;
        this.imapiType = imapiType;
        this.recordable = recordable;
        this.rewritable = rewritable;
        this.displayName = displayName;
    }

    /**
     * The MMC profile number (GET CONFIGURATION).
     *
     * @return the profile number, such as {@code 0x001A} for DVD+RW; for a constant that folds several profiles, the
     *     first of them; {@code 0xFFFF} for {@link #UNKNOWN}
     */
    public int mmcProfile() {
        return mmcProfile;
    }

    /**
     * IMAPI2's {@code IMAPI_MEDIA_PHYSICAL_TYPE} for the medium.
     *
     * @return the physical type, such as 7 for DVD+RW; 0 ({@code IMAPI_MEDIA_TYPE_UNKNOWN}) for {@link #NONE} and
     *     {@link #UNKNOWN}
     */
    public int imapiType() {
        return imapiType;
    }

    /**
     * Whether a drive can record on this kind of medium at all (CD-R yes, DVD-ROM no).
     *
     * @return {@code true} for the recordable and rewritable kinds
     */
    public boolean recordable() {
        return recordable;
    }

    /**
     * Whether it can be written again (erased, reformatted or overwritten): CD-RW, DVD+RW, BD-RE.
     *
     * @return {@code true} for the rewritable kinds, {@code false} for write-once and read-only ones
     */
    public boolean rewritable() {
        return rewritable;
    }

    /**
     * The usual name, such as {@code DVD+RW}; {@link #toString()} returns it too.
     *
     * @return the display name
     */
    public String displayName() {
        return displayName;
    }

    /**
     * The constant for an MMC profile number.
     *
     * @param profile the profile number the drive reports as its current profile
     * @return its constant (the folded profiles 0x14, 0x16 and 0x42 included); {@link #NONE} for 0,
     *     {@link #UNKNOWN} for a number not listed
     */
    public static MediaProfile ofMmcProfile(int profile) {
        switch (profile) {
            case 0x0014:
                return DVD_DASH_RW;
            case 0x0016:
                return DVD_DASH_R_DL;
            case 0x0042:
                return BD_R;
            default:
                break;
        }
        for (MediaProfile p : values()) {
            if (p.mmcProfile == profile && p != UNKNOWN) {
                return p;
            }
        }
        return UNKNOWN;
    }

    /**
     * The constant for an {@code IMAPI_MEDIA_PHYSICAL_TYPE}.
     *
     * @param type the physical type IMAPI2 reports
     * @return its constant; {@link #NONE} for 0, {@link #UNKNOWN} for a type not listed
     */
    public static MediaProfile ofImapiType(int type) {
        if (type == 0) {
            return NONE;
        }
        for (MediaProfile p : values()) {
            if (p.imapiType == type) {
                return p;
            }
        }
        return UNKNOWN;
    }

    /**
     * The constant for a display name or constant name, ignoring case ({@code "dvd+rw"}, {@code "DVD_PLUS_RW"}).
     *
     * @param name the name, surrounding blanks ignored
     * @return the constant
     * @throws io.discagent.api.error.InvalidArgumentException if no constant has that name
     */
    public static MediaProfile parse(String name) {
        String wanted = name.trim();
        for (MediaProfile p : values()) {
            if (p.name().equalsIgnoreCase(wanted) || p.displayName.equalsIgnoreCase(wanted)) {
                return p;
            }
        }
        throw new io.discagent.api.error.InvalidArgumentException("unknown media profile '" + name + "'; known: "
                + java.util.Arrays.stream(values()).map(p -> p.displayName).toList());
    }

    @Override
    public String toString() {
        return displayName;
    }
}
