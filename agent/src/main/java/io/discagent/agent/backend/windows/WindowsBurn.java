package io.discagent.agent.backend.windows;

import io.discagent.agent.backend.windows.Imapi2.DiscFormat2Data;
import io.discagent.agent.backend.windows.Imapi2.DiscRecorder;
import io.discagent.agent.backend.windows.Imapi2.ImageReader;
import io.discagent.agent.backend.windows.Imapi2.WriteProgress;
import io.discagent.agent.spi.BurnControl;
import io.discagent.agent.spi.BurnPlan;
import io.discagent.agent.spi.BurnSource;
import io.discagent.api.DiscState;
import io.discagent.api.MediaInfo;
import io.discagent.api.MediaProfile;
import io.discagent.api.RecorderId;
import io.discagent.api.TrayState;
import io.discagent.api.burn.BurnPhase;
import io.discagent.api.error.BurnNotSupportedException;
import io.discagent.api.error.HResult;
import io.discagent.api.error.MediaNotWritableException;
import io.discagent.api.error.RecorderException;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Burning and reading media through IMAPI2's data writer, {@code MsftDiscFormat2Data}, on the recorder's own
 * single-threaded apartment and with the agent's lasting {@code MsftDiscRecorder2} (the object that holds the
 * exclusive lock): {@code put_Recorder}, {@code put_ClientName}, {@code IsCurrentMediaSupported}, the closing, speed
 * and verification options, then {@code Write} of an {@code IStream} over the agent's image ({@link ImageStream}).
 * {@code Write} blocks the recorder's worker until IMAPI2 is done; meanwhile IMAPI2 fires
 * {@code DDiscFormat2DataEvents::Update} on that thread ({@link WriteEventSink}), which becomes progress, and where
 * {@code CancelWrite} is called once the agent asked the burn to stop (IMAPI2 allows it only there). Verification is
 * IMAPI2's own ({@code IBurnVerification}, full: it reads the disc back and compares checksums).
 */
final class WindowsBurn {

    private static final System.Logger LOG = System.getLogger(WindowsBurn.class.getName());
    private static final long SECTOR = Imapi2Ids.SECTOR_SIZE;

    private WindowsBurn() {
    }

    /** The medium in the recorder, read through a short-lived data writer on this apartment. */
    static MediaInfo media(Apartment apartment, DiscRecorder recorder, RecorderId id) {
        DiscFormat2Data format = apartment.createDiscFormat2Data();
        try {
            call(() -> format.setRecorder(recorder), Imapi2Call.PUT_RECORDER, id);
            List<MediaProfile> writes = new ArrayList<>();
            for (int type : get(format::supportedMediaTypes, Imapi2Call.SUPPORTED_MEDIA_TYPES, id)) {
                MediaProfile profile = MediaProfile.ofImapiType(type);
                if (profile.recordable() && !writes.contains(profile)) {
                    writes.add(profile);
                }
            }
            int type;
            try {
                type = format.currentPhysicalMediaType();
            } catch (RuntimeException e) {
                RecorderException failure = ComErrors.map(e, Imapi2Call.CURRENT_PHYSICAL_MEDIA_TYPE, id);
                if (failure.hresult().equals(HResult.E_IMAPI_RECORDER_MEDIA_NO_MEDIA)) {
                    return MediaInfo.noMedium(TrayState.UNKNOWN, writes, "IMAPI2: no medium");
                }
                throw failure;
            }
            MediaProfile profile = MediaProfile.ofImapiType(type);
            if (profile == MediaProfile.NONE) {
                List<Integer> current = get(recorder::currentProfiles, Imapi2Call.CURRENT_PROFILES, id);
                profile = current.isEmpty() ? MediaProfile.NONE : MediaProfile.ofMmcProfile(current.get(0));
                if (profile == MediaProfile.NONE) {
                    return MediaInfo.noMedium(TrayState.UNKNOWN, writes, "IMAPI2: no medium");
                }
            }
            boolean supported = get(() -> format.isCurrentMediaSupported(recorder),
                    Imapi2Call.IS_CURRENT_MEDIA_SUPPORTED, id);
            int status = supported ? get(format::currentMediaStatus, Imapi2Call.CURRENT_MEDIA_STATUS, id) : 0;
            DiscState disc = discState(status, supported);
            long total = supported ? get(format::totalSectorsOnMedia, Imapi2Call.TOTAL_SECTORS_ON_MEDIA, id) : 0;
            long free = supported ? get(format::freeSectorsOnMedia, Imapi2Call.FREE_SECTORS_ON_MEDIA, id) : 0;
            boolean writable = supported && profile.recordable()
                    && (status & (Imapi2Ids.MEDIA_STATE_WRITE_PROTECTED | Imapi2Ids.MEDIA_STATE_UNSUPPORTED_MASK)) == 0
                    && (disc == DiscState.BLANK || disc == DiscState.OVERWRITABLE);
            return new MediaInfo(TrayState.CLOSED, profile, disc, writable, Math.max(0, total) * SECTOR,
                    writable ? Math.max(0, free) * SECTOR : 0, writes, String.format("IMAPI2: physical type %d, "
                            + "media status 0x%04X%s", type, status, supported ? "" : ", not supported by the data "
                            + "writer"));
        } finally {
            apartment.release(format);
        }
    }

    /** The disc's state from {@code IMAPI_FORMAT2_DATA_MEDIA_STATE} flags. */
    static DiscState discState(int status, boolean supported) {
        if (!supported) {
            return DiscState.UNKNOWN;
        }
        if ((status & Imapi2Ids.MEDIA_STATE_OVERWRITE_ONLY) != 0) {
            return DiscState.OVERWRITABLE;
        }
        if ((status & Imapi2Ids.MEDIA_STATE_BLANK) != 0) {
            return DiscState.BLANK;
        }
        if ((status & Imapi2Ids.MEDIA_STATE_FINALIZED) != 0 || (status & Imapi2Ids.MEDIA_STATE_FINAL_SESSION) != 0) {
            return DiscState.CLOSED;
        }
        if ((status & Imapi2Ids.MEDIA_STATE_APPENDABLE) != 0) {
            return DiscState.APPENDABLE;
        }
        return DiscState.UNKNOWN;
    }

    /**
     * Burns {@code plan} on this thread, blocking until IMAPI2's {@code Write} returns; reports progress and the end
     * to {@code control}.
     */
    static void burn(Apartment apartment, DiscRecorder recorder, RecorderId id, BurnPlan plan, BurnControl control) {
        if (plan.simulate()) {
            throw new BurnNotSupportedException(HResult.E_IMAPI_DF2DATA_RECORDER_NOT_SUPPORTED, "IMAPI2's data "
                    + "writer has no test write (simulation)", id, null, null, null);
        }
        DiscFormat2Data format = apartment.createDiscFormat2Data();
        RecorderException failure = null;
        try {
            call(() -> format.setRecorder(recorder), Imapi2Call.PUT_RECORDER, id);
            call(() -> format.setClientName(plan.clientName()), Imapi2Call.PUT_CLIENT_NAME, id);
            if (!get(() -> format.isCurrentMediaSupported(recorder), Imapi2Call.IS_CURRENT_MEDIA_SUPPORTED, id)) {
                throw new MediaNotWritableException(HResult.E_IMAPI_DF2DATA_MEDIA_IS_NOT_SUPPORTED, "IMAPI2's data "
                        + "writer does not support the medium in recorder " + id, id, null, null, null);
            }
            call(() -> format.setForceMediaToBeClosed(plan.closeDisc()), Imapi2Call.PUT_FORCE_MEDIA_TO_BE_CLOSED, id);
            if (plan.writeSpeedKBps() > 0) {
                int sectorsPerSecond = (int) Math.max(1, plan.writeSpeedKBps() * 1000L / SECTOR);
                call(() -> format.setWriteSpeed(sectorsPerSecond, false), Imapi2Call.SET_WRITE_SPEED, id);
            }
            if (plan.verify()) {
                call(() -> format.setBurnVerificationLevel(Imapi2Ids.BURN_VERIFICATION_FULL),
                        Imapi2Call.PUT_BURN_VERIFICATION_LEVEL, id);
            }
            control.progress(BurnPhase.PREPARING, 0, 0, -1, null);
            Progress progress = new Progress(format, plan.source(), control);
            call(() -> format.write(reader(plan.source()), progress::update), Imapi2Call.WRITE, id);
            LOG.log(Level.DEBUG, "IMAPI2 wrote {0} bytes on {1} ({2} updates)", plan.source().size(), id,
                    progress.updates);
        } catch (RecorderException e) {
            failure = e;
        } catch (RuntimeException e) {
            failure = ComErrors.map(e, Imapi2Call.WRITE, id);
        } finally {
            apartment.release(format);
        }
        control.finished(failure);
    }

    /** The image as IMAPI2's stream reads it: positional reads of the agent's source (sequential in practice). */
    private static ImageReader reader(BurnSource source) {
        return new ImageReader() {
            @Override
            public long size() {
                return source.size();
            }

            @Override
            public int read(ByteBuffer dst, long position) throws IOException {
                return source.read(dst, position);
            }
        };
    }

    /** Turns {@code Update} events into progress, and cancels the write from there when the agent asks. */
    private static final class Progress {

        private final DiscFormat2Data format;
        private final BurnSource source;
        private final BurnControl control;
        private boolean cancelled;
        int updates;

        Progress(DiscFormat2Data format, BurnSource source, BurnControl control) {
            this.format = format;
            this.source = source;
            this.control = control;
        }

        void update(WriteProgress p) {
            updates++;
            long size = source.size();
            BurnPhase phase = phase(p.action());
            long done = switch (phase) {
                case WRITING -> Math.max(0, Math.min(size, (long) (p.lastWrittenLba() - p.startLba() + 1) * SECTOR));
                case VERIFYING -> p.totalSeconds() > 0 ? Math.min(size, size * p.elapsedSeconds() / p.totalSeconds())
                        : 0;
                case CLOSING, COMPLETED -> size;
                default -> 0;
            };
            int buffer = p.totalSystemBuffer() > 0
                    ? (int) Math.min(100, 100L * p.usedSystemBuffer() / p.totalSystemBuffer()) : -1;
            Duration remaining = p.remainingSeconds() >= 0 ? Duration.ofSeconds(p.remainingSeconds()) : null;
            control.progress(phase, done, 0, buffer, remaining);
            if (control.cancelRequested() && !cancelled) {
                cancelled = true;
                try {
                    format.cancelWrite(); // IMAPI2: only from the Update handler
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "CancelWrite failed", e);
                }
            }
        }
    }

    /** The phase of an {@code IMAPI_FORMAT2_DATA_WRITE_ACTION}. */
    static BurnPhase phase(int action) {
        return switch (action) {
            case Imapi2Ids.ACTION_FORMATTING_MEDIA -> BurnPhase.FORMATTING;
            case Imapi2Ids.ACTION_WRITING_DATA -> BurnPhase.WRITING;
            case Imapi2Ids.ACTION_FINALIZATION, Imapi2Ids.ACTION_COMPLETED -> BurnPhase.CLOSING;
            case Imapi2Ids.ACTION_VERIFYING -> BurnPhase.VERIFYING;
            default -> BurnPhase.PREPARING; // validating media, initializing hardware, calibrating power
        };
    }

    private static void call(Runnable body, Imapi2Call call, RecorderId id) {
        try {
            body.run();
        } catch (RecorderException e) {
            throw e;
        } catch (RuntimeException e) {
            throw ComErrors.map(e, call, id);
        }
    }

    private static <T> T get(java.util.function.Supplier<T> body, Imapi2Call call, RecorderId id) {
        try {
            return body.get();
        } catch (RecorderException e) {
            throw e;
        } catch (RuntimeException e) {
            throw ComErrors.map(e, call, id);
        }
    }
}
