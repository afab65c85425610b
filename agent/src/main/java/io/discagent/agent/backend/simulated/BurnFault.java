package io.discagent.agent.backend.simulated;

/** A fault a simulated burn meets when it has written a given share of its image ({@link Simulator#failBurnAt}). */
public enum BurnFault {
    /** The write fails with a MEDIUM ERROR (sense 3/0C/00): {@code MediumErrorException}. */
    MEDIUM_ERROR,
    /** The write hangs until {@link Simulator#releaseHangs}, the recorder is removed, or the backend closes. */
    HANG,
    /** The recorder is removed (unplugged) mid-burn. */
    REMOVAL,
    /**
     * The drive writes one sector wrongly without reporting it: the burn ends well, and only a verification (reading
     * the disc back) finds it, with {@code E_IMAPI_BURN_VERIFICATION_FAILED}.
     */
    CORRUPTION
}
